"""HTTP routes: parse, authorise, call a module that does the work, return."""

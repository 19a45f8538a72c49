import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    // No import cycles, static or dynamic, type-only imports aside. eslint-config-next registers
    // eslint-plugin-import and its TypeScript resolver (for "@/…"); packages are not parsed for
    // their own imports, which keeps the rule fast (a cycle needs our modules anyway).
    name: "neurotune/no-import-cycles",
    files: ["**/*.{js,jsx,mjs,ts,tsx,mts,cts}"],
    settings: { "import/ignore": ["node_modules"] },
    rules: { "import/no-cycle": ["error", { ignoreExternal: true }] },
  },
  { ignores: ["node_modules/**", ".next/**", "out/**", "next-env.d.ts"] },
];

export default config;

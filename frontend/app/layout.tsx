import type { Metadata } from "next";
import type { ReactNode } from "react";

import SiteHeader from "@/components/SiteHeader";
import "@/styles/globals.css";
import Providers from "./providers";

export const metadata: Metadata = {
  title: "NeuroTune",
  description: "A self-hosted, private sound companion for focus, calm and sleep.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <Providers>
          <SiteHeader />
          <main id="main">{children}</main>
        </Providers>
      </body>
    </html>
  );
}

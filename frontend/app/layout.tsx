import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import OfflineBanner from "@/components/OfflineBanner";
import RouteFocus from "@/components/RouteFocus";
import AppUpdates from "@/components/AppUpdates";
import SignInGate from "@/components/SignInGate";
import SiteHeader from "@/components/SiteHeader";
import "@/styles/globals.css";
import "@/styles/app-shell.css";
import Providers from "./providers";

export const metadata: Metadata = {
  title: "NeuroTune",
  description: "A self-hosted, private sound companion for focus, calm and sleep.",
  applicationName: "NeuroTune",
  manifest: "/manifest.webmanifest",
  icons: {
    icon: [
      { url: "/favicon.ico", sizes: "16x16 32x32 48x48" },
      { url: "/icon.svg", type: "image/svg+xml" },
    ],
    apple: [{ url: "/icons/apple-touch-icon.png", sizes: "180x180" }],
  },
  appleWebApp: { capable: true, title: "NeuroTune", statusBarStyle: "black-translucent" },
};

export const viewport: Viewport = {
  themeColor: "#283040",
  colorScheme: "dark",
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
          <main id="main">
            <OfflineBanner />
            <AppUpdates />
            <SignInGate>{children}</SignInGate>
          </main>
          <RouteFocus />
        </Providers>
      </body>
    </html>
  );
}

/**
 * Static export: `next build` writes plain files to out/, which the FastAPI app serves on the
 * same port as the API. Page routes avoid the API's paths (/library, /sessions, /auth, ...).
 * @type {import('next').NextConfig}
 */
const nextConfig = {
  output: "export",
  trailingSlash: true,
  reactStrictMode: true,
  images: { unoptimized: true },
  poweredByHeader: false,
};

export default nextConfig;

/** Builds the dashboard's bundle into public/dashboard (and copies the docs bundle); see build-dashboard.mjs. Resolves to a one-line summary. */
export function buildDashboard(): Promise<string>;

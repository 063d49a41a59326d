/**
 * Writes the Grafana dashboard (grafana/dashboard.ts) to grafana/dashboards/mcp-egress.json.
 * Run: npm run gen:dashboard (npx tsx scripts/gen-dashboard.ts).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDashboard } from '../grafana/dashboard.js';

export const DASHBOARD_JSON = fileURLToPath(new URL('../grafana/dashboards/mcp-egress.json', import.meta.url));

writeFileSync(DASHBOARD_JSON, renderDashboard());
process.stdout.write(`wrote ${DASHBOARD_JSON}\n`);

import { createApp } from "./app";
import { scheduled } from "./cron";

export { TenantObject } from "./tenant/tenant-object";

const app = createApp();

export default {
	fetch: app.fetch,
	scheduled,
} satisfies ExportedHandler<Env>;

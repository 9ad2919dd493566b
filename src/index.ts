import type { NotifyMessage } from "./alerting/types";
import { createApp } from "./app";
import { scheduled } from "./cron";
import { queue } from "./queue";

export { TenantObject } from "./tenant/tenant-object";

const app = createApp();

export default {
	fetch: app.fetch,
	scheduled,
	queue,
} satisfies ExportedHandler<Env, NotifyMessage>;

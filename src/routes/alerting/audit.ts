import type { Context } from "hono";
import { type AuditAction, auditIfChanged } from "../../audit/audit";
import type { AppEnv } from "../../lib/types";

/**
 * The audit row of an alerting configuration change, placed right after
 * bumpVersion in the change's D1 batch: it is written exactly when the
 * version moved, that is when the guarded write changed a row.
 */
export function auditConfig(c: Context<AppEnv>, tenantId: string, action: AuditAction & `${string}.${"created" | "updated" | "deleted"}`, id: string) {
	const type = action.slice(0, action.lastIndexOf(".")) as "alert_channel" | "alert_rule" | "escalation_policy" | "silence";
	return auditIfChanged(c, { tenantId, action, target: { type, id } });
}

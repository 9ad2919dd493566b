import { createRouter } from "../../lib/router";
import { alertActionHandler, getAlertHandler, listAlertsHandler } from "./alerts.handlers";
import { acknowledgeAlert, escalateAlert, getAlert, listAlerts, resolveAlert } from "./alerts.routes";
import {
	createChannelHandler,
	deleteChannelHandler,
	getChannelHandler,
	listChannelsHandler,
	patchChannelHandler,
	testChannelHandler,
} from "./channels.handlers";
import { createChannel, deleteChannel, getChannel, listChannels, patchChannel, testChannel } from "./channels.routes";
import { listNotificationsHandler } from "./notifications.handlers";
import { listNotifications } from "./notifications.routes";
import { createPolicyHandler, deletePolicyHandler, getPolicyHandler, listPoliciesHandler, patchPolicyHandler } from "./policies.handlers";
import { createPolicy, deletePolicy, getPolicy, listPolicies, patchPolicy } from "./policies.routes";
import { createRuleHandler, deleteRuleHandler, getRuleHandler, listRulesHandler, patchRuleHandler } from "./rules.handlers";
import { createRule, deleteRule, getRule, listRules, patchRule } from "./rules.routes";
import { createSilenceHandler, deleteSilenceHandler, getSilenceHandler, listSilencesHandler, patchSilenceHandler } from "./silences.handlers";
import { createSilence, deleteSilence, getSilence, listSilences, patchSilence } from "./silences.routes";

/** Every alerting route, under /api/v1/alerting: configuration, alerts and their notifications. */
export const alertingRoutes = createRouter()
	.openapi(listChannels, listChannelsHandler)
	.openapi(createChannel, createChannelHandler)
	.openapi(getChannel, getChannelHandler)
	.openapi(patchChannel, patchChannelHandler)
	.openapi(deleteChannel, deleteChannelHandler)
	.openapi(testChannel, testChannelHandler)
	.openapi(listRules, listRulesHandler)
	.openapi(createRule, createRuleHandler)
	.openapi(getRule, getRuleHandler)
	.openapi(patchRule, patchRuleHandler)
	.openapi(deleteRule, deleteRuleHandler)
	.openapi(listPolicies, listPoliciesHandler)
	.openapi(createPolicy, createPolicyHandler)
	.openapi(getPolicy, getPolicyHandler)
	.openapi(patchPolicy, patchPolicyHandler)
	.openapi(deletePolicy, deletePolicyHandler)
	.openapi(listSilences, listSilencesHandler)
	.openapi(createSilence, createSilenceHandler)
	.openapi(getSilence, getSilenceHandler)
	.openapi(patchSilence, patchSilenceHandler)
	.openapi(deleteSilence, deleteSilenceHandler)
	.openapi(listAlerts, listAlertsHandler)
	.openapi(getAlert, getAlertHandler)
	.openapi(acknowledgeAlert, alertActionHandler("acknowledge"))
	.openapi(resolveAlert, alertActionHandler("resolve"))
	.openapi(escalateAlert, alertActionHandler("escalate"))
	.openapi(listNotifications, listNotificationsHandler);

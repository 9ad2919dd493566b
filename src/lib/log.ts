/** Structured JSON logs, one object per line, never with secrets. */
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold = ORDER.info;

/** Applies `LOG_LEVEL` from the environment (read once per isolate). */
export function setLogLevel(level: string | undefined): void {
	threshold = ORDER[(level ?? "info") as Level] ?? ORDER.info;
}

/**
 * Writes one line when `level` reaches LOG_LEVEL's threshold. `always`
 * writes it whatever the threshold: the contract wants error answers and
 * slow requests logged in every configuration.
 */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}, always = false): void {
	if (!always && ORDER[level] < threshold) return;
	const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
	if (level === "error") console.error(line);
	else if (level === "warn") console.warn(line);
	else console.log(line);
}

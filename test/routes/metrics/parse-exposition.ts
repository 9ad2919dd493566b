/**
 * A small, strict parser of the text exposition format 0.0.4, written from
 * the format's description (not from our renderer): HELP and TYPE lines,
 * samples `name{label="value",...} value`, label values with the three
 * escapes (\\, \", \n) and nothing else, a final line feed. It throws on
 * anything Prometheus would refuse or silently misread: a sample before its
 * family's TYPE, a family declared twice, a duplicate series, an unknown
 * escape, a raw line feed in a value, a histogram sample of a non-histogram.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Exposition = {
	types: Map<string, string>;
	helps: Map<string, string>;
	samples: Sample[];
	/** The value of the one series `name{labels}` (labels exactly), or undefined. */
	get(name: string, labels?: Record<string, string>): number | undefined;
	/** Every sample of `name` whose labels include `match`. */
	all(name: string, match?: Record<string, string>): Sample[];
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const seriesKey = (name: string, labels: Record<string, string>) =>
	JSON.stringify([name, Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))]);

function parseLabels(s: string, line: string): Record<string, string> {
	const out: Record<string, string> = {};
	let i = 1;
	while (s[i] !== "}") {
		const eq = s.indexOf("=", i);
		const name = s.slice(i, eq);
		if (eq < 0 || !LABEL.test(name) || name in out) throw new Error(`bad label name in: ${line}`);
		if (s[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
		let j = eq + 2;
		let v = "";
		for (;;) {
			const ch = s[j];
			if (ch === undefined) throw new Error(`unterminated label value in: ${line}`);
			if (ch === "\\") {
				const next = s[j + 1];
				if (next === "n") v += "\n";
				else if (next === "\\" || next === '"') v += next;
				else throw new Error(`unknown escape \\${next} in: ${line}`);
				j += 2;
			} else if (ch === '"') {
				j++;
				break;
			} else {
				v += ch;
				j++;
			}
		}
		out[name] = v;
		if (s[j] === ",") j++;
		else if (s[j] !== "}") throw new Error(`expected , or } in: ${line}`);
		i = j;
	}
	if (i !== s.length - 1) throw new Error(`text after labels in: ${line}`);
	return out;
}

export function parseExposition(text: string): Exposition {
	if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
	const types = new Map<string, string>();
	const helps = new Map<string, string>();
	const samples: Sample[] = [];
	const seen = new Map<string, number>();
	for (const line of text.slice(0, -1).split("\n")) {
		if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
			const [, kind, name, ...rest] = line.split(" ");
			if (!NAME.test(name ?? "")) throw new Error(`bad metric name in: ${line}`);
			const into = kind === "HELP" ? helps : types;
			if (into.has(name!)) throw new Error(`${kind} twice for ${name}`);
			if (kind === "TYPE" && !["counter", "gauge", "histogram", "summary", "untyped"].includes(rest.join(" "))) {
				throw new Error(`bad type in: ${line}`);
			}
			into.set(name!, rest.join(" "));
			continue;
		}
		if (line.startsWith("#") || line === "") throw new Error(`unexpected line: ${JSON.stringify(line)}`);
		const m = /^([^{\s]+)(\{.*\})? (\S+)$/.exec(line);
		if (!m || !NAME.test(m[1]!)) throw new Error(`bad sample line: ${JSON.stringify(line)}`);
		const name = m[1]!;
		const labels = m[2] ? parseLabels(m[2], line) : {};
		const raw = m[3]!;
		const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
		if (raw !== "NaN" && Number.isNaN(value)) throw new Error(`bad value in: ${line}`);
		const base = name.replace(/_(bucket|sum|count)$/, "");
		const family = types.has(name) ? name : base;
		if (!types.has(family)) throw new Error(`sample before its TYPE: ${line}`);
		if (family !== name && types.get(family) !== "histogram" && types.get(family) !== "summary") {
			throw new Error(`suffixed sample of a ${types.get(family)}: ${line}`);
		}
		if (name.endsWith("_bucket") && !("le" in labels)) throw new Error(`bucket without le: ${line}`);
		const key = seriesKey(name, labels);
		if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
		seen.set(key, value);
		samples.push({ name, labels, value });
	}
	return {
		types,
		helps,
		samples,
		get: (name, labels = {}) => seen.get(seriesKey(name, labels)),
		all: (name, match = {}) =>
			samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)),
	};
}

/**
 * Plumbing for the OpenTelemetry e2e test (otlp.test.ts): a loopback tap
 * that sees what the official exporters put on the wire, an exporter wrapper
 * that keeps their results, and the environment the contract promises.
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";

// ExportResultCode of @opentelemetry/core (a dependency of the SDK, not of ours).
export const SUCCESS = 0;
export const FAILED = 1;
export type ExportResult = Parameters<Parameters<SpanExporter["export"]>[1]>[0];
// Its CompressionAlgorithm enum lives in @opentelemetry/otlp-exporter-base, also not ours; "gzip" is its value.
export type Compression = NonNullable<NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>["compression"]>;

export type Seen = { path: string; contentType?: string; contentEncoding?: string; apiKey?: string; status: number };
export type Tap = { url: string; seen: Seen[]; server: Server };

/**
 * Forwards each request to `target` (npm run dev) as it came and answers
 * what the server answered, noting path, content type and encoding, key and
 * status: what the stored events cannot show (that the exporter appended
 * /v1/traces itself, that it really gzipped).
 */
export async function startTap(target: string): Promise<Tap> {
	const seen: Seen[] = [];
	const server = createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const headers = new Headers();
		for (const name of ["content-type", "content-encoding", "x-api-key", "user-agent"]) {
			const v = req.headers[name];
			if (typeof v === "string") headers.set(name, v);
		}
		// The suite's fetch (client-address.ts) gives each forwarded export its own client address.
		let answer: Response;
		try {
			answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
		} catch (err) {
			// Answered, so the exporter reports it at once instead of waiting out its timeout.
			res.writeHead(500).end(String(err));
			return;
		}
		seen.push({
			path: req.url!,
			contentType: req.headers["content-type"],
			contentEncoding: req.headers["content-encoding"],
			apiKey: headers.get("x-api-key") ?? undefined,
			status: answer.status,
		});
		const out: Record<string, string> = {};
		for (const name of ["content-type", "retry-after"]) {
			const v = answer.headers.get(name);
			if (v !== null) out[name] = v;
		}
		res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** What the tap saw from the call on. */
export function watch(tap: Tap): () => Seen[] {
	const from = tap.seen.length;
	return () => tap.seen.slice(from);
}

/**
 * An exporter that keeps its results: the SDK's processors only log a failed
 * export, and a test must say why nothing arrived rather than time out.
 */
export class Recording<T> {
	readonly results: ExportResult[] = [];
	constructor(private readonly inner: { export(items: T[], done: (r: ExportResult) => void): void; forceFlush?(): Promise<void>; shutdown(): Promise<void> }) {}
	export(items: T[], done: (r: ExportResult) => void): void {
		this.inner.export(items, (r) => {
			this.results.push(r);
			done(r);
		});
	}
	/** One export, awaited. */
	once(items: T[]): Promise<ExportResult> {
		return new Promise((resolve) => this.export(items, resolve));
	}
	forceFlush(): Promise<void> {
		return this.inner.forceFlush?.() ?? Promise.resolve();
	}
	shutdown(): Promise<void> {
		return this.inner.shutdown();
	}
}

/**
 * Runs `fn` with only the two variables the contract promises an SDK needs
 * (every other OTEL_* unset), then puts the environment back. Exporters
 * read them when constructed, so `fn` constructs its own.
 */
export async function withOtelEnv<T>(endpoint: string, key: string, fn: () => Promise<T>): Promise<T> {
	const saved = Object.entries(process.env).filter(([k]) => k.startsWith("OTEL_"));
	for (const [k] of saved) delete process.env[k];
	process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
	process.env.OTEL_EXPORTER_OTLP_HEADERS = `X-API-Key=${key}`;
	try {
		return await fn();
	} finally {
		delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
		delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
		for (const [k, v] of saved) process.env[k] = v;
	}
}

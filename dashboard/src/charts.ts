import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom";
import { count, epochMs, ms, percent } from "./format";
import type { Series } from "./types";

/**
 * The overview's three live charts, drawn with uPlot on canvas: event rate,
 * error rate and p50/p95/p99 latency over the chosen window. Colours come
 * from the stylesheet's variables, so the charts follow the theme; each chart
 * also carries a text summary for screen readers.
 */

/** A CSS colour (variables included) as the canvas can use it. */
function resolve(color: string): string {
	const probe = h("span", { hidden: true });
	probe.style.color = color;
	document.body.append(probe);
	const value = getComputedStyle(probe).color;
	probe.remove();
	return value;
}

function alpha(rgb: string, a: number): string {
	const m = /rgba?\(([^)]+)\)/.exec(rgb);
	if (!m) return rgb;
	const [r, g, b] = m[1]!.split(/[ ,]+/);
	return `rgba(${r}, ${g}, ${b}, ${a})`;
}

/** Indices of values with no neighbour on either side (no line segment would show them). */
function isolated(u: uPlot, seriesIdx: number): number[] | null {
	const ys = u.data[seriesIdx] ?? [];
	const out: number[] = [];
	for (let i = 0; i < ys.length; i++) {
		if (ys[i] === null || ys[i] === undefined) continue;
		if ((ys[i - 1] ?? null) === null && (ys[i + 1] ?? null) === null) out.push(i);
	}
	return out;
}

type Line = { label: string; color: string; value: (v: number) => string; bars?: boolean; fill?: boolean };

type Spec = {
	title: string;
	unit: (v: number) => string;
	lines: Line[];
	/** The y values per line, from the series. */
	data: (s: Series) => (number | null)[][];
	/** Minimum top of the y scale, so a flat line does not fill the chart. */
	minTop: number;
};

const perMinute = (s: Series, n: number) => (n * 60) / (s.bucket_seconds || 60);

export const SPECS = {
	rate: {
		title: "Event rate",
		unit: (v) => `${count(Math.round(v))}/min`,
		lines: [
			{ label: "events/min", color: "var(--chart-1)", value: (v) => count(Math.round(v)), bars: true },
			{ label: "errors/min", color: "var(--danger)", value: (v) => count(Math.round(v)), bars: true },
		],
		data: (s) => [s.series.map((p) => perMinute(s, p.count)), s.series.map((p) => perMinute(s, p.errors))],
		minTop: 5,
	},
	errors: {
		title: "Error rate",
		unit: (v) => percent(v),
		lines: [{ label: "error rate", color: "var(--danger)", value: (v) => percent(v), fill: true }],
		data: (s) => [s.series.map((p) => (p.count > 0 ? p.error_rate : null))],
		minTop: 0.05,
	},
	latency: {
		title: "Latency",
		unit: (v) => ms(v),
		lines: [
			{ label: "p50", color: "var(--chart-2)", value: (v) => ms(v) },
			{ label: "p95", color: "var(--warning)", value: (v) => ms(v) },
			{ label: "p99", color: "var(--chart-3)", value: (v) => ms(v) },
		],
		data: (s) => [s.series.map((p) => p.p50), s.series.map((p) => p.p95), s.series.map((p) => p.p99)],
		minTop: 10,
	},
} satisfies Record<string, Spec>;

export type ChartKind = keyof typeof SPECS;

export class TimeChart {
	private plot: uPlot | null = null;
	private last: Series | null = null;
	private readonly canvasHost: HTMLElement;
	private readonly summary: HTMLElement;
	private readonly resize: ResizeObserver;
	private readonly spec: Spec;

	constructor(
		readonly el: HTMLElement,
		kind: ChartKind,
	) {
		this.spec = SPECS[kind];
		this.canvasHost = h("div", { class: "chart-canvas", "aria-hidden": "true" });
		this.summary = h("p", { class: "sr-only" });
		el.append(this.canvasHost, this.summary);
		this.resize = new ResizeObserver(() => this.fit());
		this.resize.observe(this.canvasHost);
	}

	setData(series: Series): void {
		this.last = series;
		const xs = series.series.map((p) => (epochMs(p.t) ?? 0) / 1000);
		const data = [xs, ...this.spec.data(series)] as uPlot.AlignedData;
		if (!this.plot) this.build(data);
		else this.plot.setData(data);
		this.showLatest();
		this.describe(series);
	}

	/** Rebuilds with the current theme's colours. */
	retheme(): void {
		this.plot?.destroy();
		this.plot = null;
		if (this.last) this.setData(this.last);
	}

	destroy(): void {
		this.resize.disconnect();
		this.plot?.destroy();
		this.plot = null;
	}

	/** Without a pointer over the chart, the legend shows the newest bucket's values. */
	private showLatest(): void {
		const u = this.plot;
		const n = u?.data[0]?.length ?? 0;
		if (u && n > 0 && (u.cursor.idx === null || u.cursor.idx === undefined)) u.setLegend({ idx: n - 1 }, false);
	}

	private size(): { width: number; height: number } {
		const width = Math.max(200, Math.floor(this.canvasHost.clientWidth));
		return { width, height: width < 480 ? 170 : 210 };
	}

	private fit(): void {
		if (this.plot) this.plot.setSize(this.size());
	}

	private build(data: uPlot.AlignedData): void {
		const muted = resolve("var(--text-muted)");
		const grid = resolve("var(--border)");
		const spec = this.spec;
		const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: "11px system-ui, sans-serif" };
		const bars = uPlot.paths.bars?.({ size: [0.72, 48], gap: 1 });
		this.plot = new uPlot(
			{
				...this.size(),
				padding: [10, 22, 0, 2],
				cursor: { drag: { x: false, y: false }, points: { size: 7 } },
				legend: { show: true, live: true },
				hooks: { setCursor: [() => this.showLatest()] },
				scales: {
					x: { time: true },
					y: { range: (_u, _min, max) => [0, Math.max(spec.minTop, (max ?? 0) * 1.15)] },
				},
				axes: [
					{ ...axis, space: 70 },
					{
						...axis,
						// Wide enough for the longest tick label ("2,500/min", "4000 ms"), measured per redraw.
						size: (_u, values) => Math.max(48, Math.ceil(Math.max(0, ...(values ?? []).map((v) => String(v).length)) * 7.5 + 20)),
						values: (_u, values) => values.map((v) => spec.unit(v)),
					},
				],
				series: [
					{ label: "Time", value: (_u, v) => (v === null ? "" : new Date(v * 1000).toLocaleTimeString()) },
					...spec.lines.map((line): uPlot.Series => {
						const color = resolve(line.color);
						return {
							label: line.label,
							stroke: color,
							width: line.bars ? 0 : 2,
							fill: line.bars ? alpha(color, 0.75) : line.fill ? alpha(color, 0.15) : undefined,
							paths: line.bars ? bars : undefined,
							// A value between two gaps draws no line: mark exactly those with a point.
							points: line.bars ? { show: false } : { show: true, size: 6, fill: color, filter: isolated },
							spanGaps: false,
							value: (_u, v) => (v === null || v === undefined ? "–" : line.value(v)),
						};
					}),
				],
			},
			data,
			this.canvasHost,
		);
	}

	private describe(series: Series): void {
		const points = series.series;
		const last = points.at(-1);
		const values = last ? this.spec.data({ ...series, series: [last] }).map((v) => v[0]) : [];
		const parts = this.spec.lines.map((line, i) => `${line.label} ${values[i] === null || values[i] === undefined ? "no data" : line.value(values[i]!)}`);
		this.summary.textContent = `${this.spec.title} over the last ${series.window}, latest bucket: ${parts.join(", ")}.`;
	}
}

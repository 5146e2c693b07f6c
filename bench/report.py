"""Summaries of bench/run.sh and bench/soak.sh runs: markdown for people (summary.md, pasted into
docs/benchmarks.md) and JSON for tools (summary.json).

The shell scripts leave, per target, load-generator results in raw/ and a `raw/<target>.kv`
file of `key value` lines (CPU ticks, core busy and foreign CPU per measurement, RSS figures,
call-log rows). Nothing here measures; it only reads and compares.
"""
import json
import os

# The targets for Portcullis with key auth and the call log on, on this 2-core machine.
TARGET_P50_OVERHEAD_MS = 0.100
TARGET_P99_OVERHEAD_MS = 1.0
TARGET_RATE = 500
TARGET_CONC = 64
TARGET_TPUT_VS_NGINX = 0.80
TARGET_RSS_MIB = 64.0
MAIN_TARGET = "portcullis"


def read_kv(path):
    values = {}
    if not os.path.exists(path):
        return values
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) != 2:
                continue
            try:
                values[parts[0]] = float(parts[1])
            except ValueError:
                values[parts[0]] = parts[1].strip()
    return values


def fmt(x, spec="{:.0f}", none="-"):
    if x is None:
        return none
    return spec.format(x)


def table(headers, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(  # noqa: E731
        c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)) + " |"
    sep = "|" + "|".join("-" * (w + 1) + ":" if i else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def diff_us(a, b):
    """(a - b) in microseconds, both in milliseconds; None if either is missing."""
    if a is None or b is None:
        return None
    return (a - b) * 1000.0


def load_run(run_dir, parse):
    with open(os.path.join(run_dir, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    raw = os.path.join(run_dir, "raw")
    results = {}
    for t in meta["targets_run"]:
        r = {"kv": read_kv(os.path.join(raw, f"{t}.kv"))}
        for c in meta["concurrency"]:
            r[f"c{c}"] = parse(os.path.join(raw, f"{t}-tput-c{c}.json"))
        for q in meta["rates"]:
            r[f"r{q}"] = parse(os.path.join(raw, f"{t}-rate-{q}.json"))
        for q in meta["stream_rates"]:
            r[f"s{q}"] = parse(os.path.join(raw, f"{t}-stream-{q}.json"))
        results[t] = r
    hz = meta.get("clk_tck", 100)
    for t, r in results.items():
        kv = r["kv"]
        for key, m in r.items():
            if key == "kv" or "error" in m:
                continue
            ticks = kv.get(f"cpu_ticks_{key}")
            if isinstance(ticks, float) and m.get("ok"):
                m["cpu_us_per_req"] = ticks / hz * 1e6 / m["ok"]
            if isinstance(ticks, float) and m.get("secs"):
                m["cpu_pct"] = ticks / hz / kv.get(f"wall_s_{key}", m["secs"]) * 100
            for k in ("foreign", "lg_busy", "tg_busy"):
                if f"{k}_{key}" in kv:
                    m[k] = kv[f"{k}_{key}"]
    return meta, results


def summary(run_dir, parse):
    meta, res = load_run(run_dir, parse)
    targets = meta["targets_run"]
    concs, rates, srates = meta["concurrency"], meta["rates"], meta["stream_rates"]
    out = [f"# Portcullis load benchmark, run {meta['run_id']}", ""]
    out.append(f"- host: {meta['host']}")
    out.append(f"- date: {meta['date']}; load average before {meta['load_before']}, after {meta.get('load_after', '?')}")
    out.append(f"- versions: {meta['versions']}")
    out.append(f"- pinning: {meta['pinning']}")
    out.append(f"- load generators: {meta['loadgen']}")
    out.append("")
    for name, desc in meta.get("target_descriptions", {}).items():
        if name in targets:
            out.append(f"- `{name}`: {desc}")
    out.append("")

    out += _targets_section(res, concs, rates)
    out += _throughput_section(res, targets, concs)
    out += _latency_section(res, targets, rates)
    if srates:
        out += _stream_section(res, targets, srates)
    out += _memory_section(res, targets)
    out += _cost_section(res, concs, rates)

    notes = list(meta.get("notes", []))
    for t in targets:
        for key, m in res[t].items():
            if key == "kv":
                continue
            if "error" in m:
                notes.append(f"{t} {key}: {m['error']}")
            elif m.get("errors") or m.get("non2xx"):
                notes.append(f"{t} {key}: {m['non2xx']} non-2xx, errors {m.get('error_kinds')}")
            if (m.get("foreign") or 0) > meta.get("foreign_warn", 15):
                notes.append(f"{t} {key}: disturbed, other processes used {m['foreign']:.0f}% of a core on the pinned cores")
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    text = "\n".join(out)
    with open(os.path.join(run_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(run_dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "results": res}, f, indent=1)
    return text


def _targets_section(res, concs, rates):
    main, direct, nginx = res.get(MAIN_TARGET), res.get("direct"), res.get("nginx")
    if not main:
        return []
    rows = []

    def verdict(ok):
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    key = f"r{TARGET_RATE}"
    if direct and key in main and "error" not in main[key] and "error" not in direct[key]:
        d50 = diff_us(main[key]["p50_ms"], direct[key]["p50_ms"])
        d99 = diff_us(main[key]["p99_ms"], direct[key]["p99_ms"])
        rows.append([f"added latency p50 at {TARGET_RATE} req/s", f"<= {TARGET_P50_OVERHEAD_MS * 1000:.0f} us",
                     fmt(d50, "{:+.0f} us"), verdict(None if d50 is None else d50 <= TARGET_P50_OVERHEAD_MS * 1000)])
        rows.append([f"added latency p99 at {TARGET_RATE} req/s", f"<= {TARGET_P99_OVERHEAD_MS * 1000:.0f} us",
                     fmt(d99, "{:+.0f} us"), verdict(None if d99 is None else d99 <= TARGET_P99_OVERHEAD_MS * 1000)])
    key = f"c{TARGET_CONC}"
    if nginx and key in main and "error" not in main[key] and "error" not in nginx[key]:
        ratio = main[key]["rps_ok"] / nginx[key]["rps_ok"] if nginx[key]["rps_ok"] else None
        rows.append([f"throughput at c={TARGET_CONC} vs nginx", f">= {TARGET_TPUT_VS_NGINX:.0%}",
                     fmt(ratio, "{:.0%}") + f" ({main[key]['rps_ok']:.0f} vs {nginx[key]['rps_ok']:.0f} req/s)",
                     verdict(None if ratio is None else ratio >= TARGET_TPUT_VS_NGINX)])
    peak = main["kv"].get("rss_peak_kib")
    if isinstance(peak, float):
        rows.append(["peak RSS over the run (VmHWM)", f"< {TARGET_RSS_MIB:.0f} MiB", f"{peak / 1024:.1f} MiB",
                     verdict(peak / 1024 < TARGET_RSS_MIB)])
    return ["## Targets (Portcullis with key auth and the call log on)", "",
            table(["target", "goal", "measured", "verdict"], rows), ""]


def _throughput_section(res, targets, concs):
    nginx = res.get("nginx", {})
    headers = ["target"]
    for c in concs:
        headers += [f"req/s c={c}", "vs nginx", "err"]
    headers += [f"CPU us/req c={concs[0]}", "LG / target core busy", "foreign"]
    rows = []
    for t in targets:
        row = [t]
        for c in concs:
            m = res[t][f"c{c}"]
            if "error" in m:
                row += ["FAIL", "-", "-"]
                continue
            base = nginx.get(f"c{c}", {}).get("rps_ok")
            row += [fmt(m["rps_ok"]), fmt(m["rps_ok"] / base if base else None, "{:.2f}x"),
                    str(m["errors"] + m["non2xx"])]
        m = res[t][f"c{concs[0]}"]
        row += [fmt(m.get("cpu_us_per_req"), "{:.1f}") if t != "direct" else "-",
                f"{fmt(m.get('lg_busy'), '{:.0f}%')} / {fmt(m.get('tg_busy'), '{:.0f}%')}",
                fmt(m.get("foreign"), "{:.0f}%")]
        rows.append(row)
    return ["## Throughput (closed loop: wrk, keep-alive, fixed concurrency; 2xx responses/s)", "",
            table(headers, rows), "",
            "CPU us/req: CPU time of the target's processes per successful request (all threads). "
            "LG / target core busy: how busy the load-generator+mock core and the target's core were; "
            "a target whose core is not near 100% while the LG core is, was held back by the load "
            "generator. foreign: CPU used on the two pinned cores by processes outside the benchmark.",
            ""]


def _latency_section(res, targets, rates):
    headers = ["target", "rate", "achieved", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
               "p50 - direct", "p99 - direct", "CPU us/req", "err", "foreign"]
    rows = []
    for q in rates:
        direct = res.get("direct", {}).get(f"r{q}", {})
        for t in targets:
            m = res[t][f"r{q}"]
            if "error" in m:
                rows.append([t, str(q), "FAIL"] + ["-"] * 9)
                continue
            rows.append([
                t, str(q), fmt(m["rps_ok"]), fmt(m["p50_ms"], "{:.3f}"), fmt(m["p90_ms"], "{:.3f}"),
                fmt(m["p99_ms"], "{:.3f}"), fmt(m["p999_ms"], "{:.3f}"),
                "-" if t == "direct" else fmt(diff_us(m["p50_ms"], direct.get("p50_ms")), "{:+.0f} us"),
                "-" if t == "direct" else fmt(diff_us(m["p99_ms"], direct.get("p99_ms")), "{:+.0f} us"),
                "-" if t == "direct" else fmt(m.get("cpu_us_per_req"), "{:.1f}"),
                str(m["errors"] + m["non2xx"]), fmt(m.get("foreign"), "{:.0f}%")])
    return ["## Latency at a fixed rate (open loop: oha -q with latency correction)", "",
            table(headers, rows), "",
            "Added latency = the target's percentile minus the direct call's at the same rate, same run. "
            "An 'achieved' rate below the requested one means the target was saturated.", ""]


def _stream_section(res, targets, srates):
    headers = ["target", "rate", "achieved", "first byte p50", "first byte p99", "last byte p50",
               "last byte p99", "first byte p50 - direct", "last byte p50 - direct", "CPU us/req", "err"]
    rows = []
    for q in srates:
        direct = res.get("direct", {}).get(f"s{q}", {})
        for t in targets:
            m = res[t][f"s{q}"]
            if "error" in m:
                rows.append([t, str(q), "FAIL"] + ["-"] * 8)
                continue
            rows.append([
                t, str(q), fmt(m["rps_ok"]), fmt(m["ttfb_p50_ms"], "{:.3f}"), fmt(m["ttfb_p99_ms"], "{:.3f}"),
                fmt(m["p50_ms"], "{:.3f}"), fmt(m["p99_ms"], "{:.3f}"),
                "-" if t == "direct" else fmt(diff_us(m["ttfb_p50_ms"], direct.get("ttfb_p50_ms")), "{:+.0f} us"),
                "-" if t == "direct" else fmt(diff_us(m["p50_ms"], direct.get("p50_ms")), "{:+.0f} us"),
                "-" if t == "direct" else fmt(m.get("cpu_us_per_req"), "{:.1f}"),
                str(m["errors"] + m["non2xx"])])
    return ["## Streaming (stream: true, open loop; times in ms)", "",
            table(headers, rows), "",
            "First byte: when the first body bytes of the stream arrived (oha measures it from the "
            "request's actual send time, without latency correction; at rates well below capacity "
            "the two agree). Last byte: the whole stream, latency-corrected. The mock sends a whole "
            "stream in one write, so these figures are the gateway's own processing, not a model's pace.",
            ""]


def _memory_section(res, targets):
    rows = []
    for t in targets:
        kv = res[t]["kv"]
        if "rss_peak_kib" not in kv:
            continue
        mib = lambda k: fmt(kv.get(k) / 1024 if isinstance(kv.get(k), float) else None, "{:.1f}")  # noqa: E731
        logged = kv.get("calllog_rows")
        sent = kv.get("requests_ok")
        dropped = kv.get("calllog_dropped")
        rows.append([t, mib("rss_ready_kib"), mib("rss_warm_kib"), mib("rss_peak_kib"), mib("rss_end_kib"),
                     fmt(logged if isinstance(logged, float) else None),
                     fmt(sent if isinstance(sent, float) else None),
                     fmt(dropped if isinstance(dropped, float) else None)])
    if not rows:
        return []
    return ["## Memory and call log", "",
            table(["target", "RSS ready MiB", "RSS after warm-up", "peak RSS (VmHWM)", "RSS at end",
                   "call-log rows", "2xx answers sent", "records dropped"], rows), "",
            "RSS of the target's whole process group from /proc (peak: the kernel's high-water mark). "
            "Call-log rows are counted in the SQLite file after the target stopped; '2xx answers sent' "
            "is what the load generators counted against that target (smoke and warm-up included); "
            "'records dropped' is portcullis_call_log_dropped_total (queue full) from /metrics.", ""]


def _cost_section(res, concs, rates):
    """What each piece costs: the Portcullis variants differ in one thing each."""
    pairs = [("nginx", "portcullis-nolog", "Portcullis (key auth, no call log) instead of nginx"),
             ("portcullis-nolog", "portcullis", "the SQLite call log"),
             ("portcullis", "portcullis-translate", "translating OpenAI -> Anthropic -> OpenAI"),
             ("portcullis", "portcullis-b", "build B (PORTCULLIS_BIN_B) instead of A")]
    c, q = f"c{concs[0]}", (f"r{TARGET_RATE}" if TARGET_RATE in rates else f"r{rates[-1]}")
    rows = []
    for base, variant, what in pairs:
        if base not in res or variant not in res:
            continue
        b, v = res[base], res[variant]
        cpu = None
        if b[c].get("cpu_us_per_req") is not None and v[c].get("cpu_us_per_req") is not None:
            cpu = v[c]["cpu_us_per_req"] - b[c]["cpu_us_per_req"]
        rows.append([what, f"{variant} vs {base}", fmt(cpu, "{:+.1f}"),
                     fmt(diff_us(v[q].get("p50_ms"), b[q].get("p50_ms")), "{:+.0f} us"),
                     fmt(diff_us(v[q].get("p99_ms"), b[q].get("p99_ms")), "{:+.0f} us"),
                     fmt(v[c]["rps_ok"] / b[c]["rps_ok"] if b[c].get("rps_ok") else None, "{:.2f}x")])
    if not rows:
        return []
    return ["## What each piece costs", "",
            table(["piece", "comparison", f"CPU us/req ({c})", f"p50 ({q})", f"p99 ({q})", f"throughput ({c})"], rows),
            ""]


def soak_summary(run_dir, parse):
    with open(os.path.join(run_dir, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    samples = []
    with open(os.path.join(run_dir, "rss.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[0][0].isdigit():
                samples.append((float(parts[0]), float(parts[1]) / 1024))
    kv = read_kv(os.path.join(run_dir, "soak.kv"))
    streams = {}
    for name in meta["streams"]:
        streams[name] = parse(os.path.join(run_dir, "raw", f"{name}.json"))
    out = [f"# Portcullis memory soak, run {meta['run_id']}", ""]
    out.append(f"- host: {meta['host']}; date {meta['date']}; load average before {meta['load_before']}")
    out.append(f"- {meta['seconds']} s of mixed traffic, RSS sampled every second: {meta['mix']}")
    out.append("")
    rows = []
    for name, m in streams.items():
        if "error" in m:
            rows.append([name, "FAIL"] + ["-"] * 4)
            continue
        rows.append([name, fmt(m["rps_ok"]), str(m["ok"]), fmt(m["p50_ms"], "{:.3f}"), fmt(m["p99_ms"], "{:.3f}"),
                     str(m["errors"] + m["non2xx"])])
    out += [table(["traffic", "achieved req/s", "2xx", "p50 ms", "p99 ms", "err"], rows), ""]
    if samples:
        rss = [s[1] for s in samples]
        n = len(rss)
        first_q = rss[: max(1, n // 4)]
        last_q = rss[-max(1, n // 4):]
        peak = max(rss)
        out += [table(["RSS", "MiB"], [
            ["before traffic", fmt(kv.get("rss_idle_kib", 0) / 1024, "{:.1f}")],
            ["first sample under load", fmt(rss[0], "{:.1f}")],
            ["mean of the first quarter", fmt(sum(first_q) / len(first_q), "{:.1f}")],
            ["mean of the last quarter", fmt(sum(last_q) / len(last_q), "{:.1f}")],
            ["peak (sampled)", fmt(peak, "{:.1f}")],
            ["peak (VmHWM)", fmt(kv.get("rss_peak_kib", 0) / 1024, "{:.1f}")],
            ["end of traffic", fmt(rss[-1], "{:.1f}")],
            ["10 s after the traffic stopped", fmt(kv.get("rss_after_kib", 0) / 1024, "{:.1f}")],
        ]), ""]
        growth = sum(last_q) / len(last_q) - sum(first_q) / len(first_q)
        out.append(f"Growth from the first to the last quarter: {growth:+.1f} MiB "
                   f"({'flat' if abs(growth) < 2 else 'NOT flat'}; threshold 2 MiB).")
        answered = sum(m.get("ok", 0) for m in streams.values() if "error" not in m)
        out.append(f"Call-log rows written: {fmt(kv.get('calllog_rows'))} for {answered} 2xx answers "
                   f"(records dropped: {fmt(kv.get('calllog_dropped'))}).")
        if isinstance(kv.get("cpu_s"), float) and answered:
            out.append(f"Portcullis CPU over the whole run: {kv['cpu_s']:.1f} s, "
                       f"{kv['cpu_s'] * 1e6 / answered:.0f} us per request at this low, spread-out rate.")
        step = max(1, n // 12)
        out.append("RSS every ~%d s (MiB): %s" % (
            round(samples[min(step, n - 1)][0] - samples[0][0]) if n > 1 else 1,
            " ".join(f"{rss[i]:.1f}" for i in range(0, n, step))))
        out.append("")
    text = "\n".join(out)
    with open(os.path.join(run_dir, "summary.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(run_dir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "streams": streams, "rss_mib": samples, "kv": kv}, f, indent=1)
    return text

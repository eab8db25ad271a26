import Reporting

/// The dashboard's page: report.html's style, a table per target and two charts (requests per second, and
/// P50/P95/P99 per second), redrawn from `/live.json` every second until the run has finished. `data-updates`
/// on the body counts the redraws, `data-finished` is set at the end (for headless checks).
enum DashboardPage {
    static let html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>tripbench: live</title>
        <style>
        \(HTMLStyle.css)
        polyline { fill: none; stroke-width: 1.5; } .phase { font-weight: 600; }
        </style>
        </head>
        <body data-updates="0">
        <main>
        <h1>tripbench: <span id="scenario">waiting for the run</span></h1>
        <div class="muted" id="status">live: redrawn every second from /live.json</div>
        <div id="targets"></div>
        </main>
        <script>
        \(script)
        </script>
        </body>
        </html>
        """

    private static let script = #"""
        const colours = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f"];
        const ms = (us) => (us / 1000).toFixed(us < 10000 ? 2 : 1);
        const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
        function chart(title, series, unit) {
          const width = 520, height = 200, left = 48, bottom = 24, top = 24;
          const points = series.flatMap((s) => s.values);
          const maxY = Math.max(1e-9, ...points) * 1.1, maxX = Math.max(1, ...series.map((s) => s.values.length - 1));
          const x = (i) => left + (width - left - 8) * i / maxX, y = (v) => height - bottom - (height - bottom - top) * v / maxY;
          let svg = `<svg class="chart" viewBox="0 0 ${width} ${height}"><text class="chart-title" x="${left}" y="16">${escape(title)}</text>`;
          for (let k = 0; k <= 4; k++) {
            const v = maxY * k / 4;
            svg += `<line class="grid" x1="${left}" x2="${width - 8}" y1="${y(v)}" y2="${y(v)}"/><text class="tick" x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(v < 10 ? 1 : 0)}</text>`;
          }
          svg += `<text class="tick" x="${width - 8}" y="${height - 6}" text-anchor="end">second ${maxX + 1} (${unit})</text>`;
          series.forEach((s, n) => {
            svg += `<polyline stroke="${colours[n % colours.length]}" points="${s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ")}"/>`;
            svg += `<text class="legend" x="${left + 8 + n * 90}" y="${top + 8}" style="fill: ${colours[n % colours.length]}">${escape(s.name)}</text>`;
          });
          return svg + "</svg>";
        }
        function render(live) {
          document.getElementById("scenario").textContent = live.scenario || "waiting for the run";
          document.getElementById("status").textContent = live.finished ? "the run has finished: these are its final figures" : "live: redrawn every second";
          document.getElementById("targets").innerHTML = live.targets.map((t) => {
            const rows = t.operations.map((o) => `<tr><td>${escape(o.operation)}</td><td class="count">${o.count}</td><td>${o.qps.toFixed(1)}</td><td>${ms(o.p50_us)}</td><td class="p95">${ms(o.p95_us)}</td><td>${ms(o.p99_us)}</td><td>${o.errors}</td><td>${o.recall === undefined ? "" : o.recall.toFixed(4)}</td></tr>`).join("");
            const seconds = t.seconds;
            return `<h2>${escape(t.target)} <span class="muted phase">${escape(t.phase)}</span>${t.offered_rate ? ` <span class="muted">offered ${t.offered_rate.toFixed(1)} requests/s</span>` : ""}</h2>`
              + `<table><tr><th>operation</th><th>count</th><th>QPS</th><th>P50 (ms)</th><th>P95 (ms)</th><th>P99 (ms)</th><th>errors</th><th>recall</th></tr>${rows}</table>`
              + `<div class="charts">${chart("requests per second", [{name: "served", values: seconds.map((s) => s[0])}, {name: "errors", values: seconds.map((s) => s[1])}], "requests")}`
              + `${chart("latency per second", [{name: "P50", values: seconds.map((s) => s[2] / 1000)}, {name: "P95", values: seconds.map((s) => s[3] / 1000)}, {name: "P99", values: seconds.map((s) => s[4] / 1000)}], "ms")}</div>`;
          }).join("");
        }
        let updates = 0;
        async function tick() {
          try {
            const live = await (await fetch("/live.json", {cache: "no-store"})).json();
            render(live);
            document.body.dataset.updates = String(++updates);
            if (live.finished) { document.body.dataset.finished = "true"; return; }
          } catch (error) {
            document.getElementById("status").textContent = "tripbench no longer answers: the run has ended";
            return;
          }
          setTimeout(tick, 1000);
        }
        tick();
        """#
}

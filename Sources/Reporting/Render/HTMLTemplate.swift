import Mustache

/// The style every tripbench page shares (report.html, the study pages, the live dashboard).
public enum HTMLStyle {
    public static let css = #"""
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1e293b; margin: 0; background: #f8fafc; }
        main { max-width: 1100px; margin: 0 auto; padding: 24px; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
        .muted { color: #64748b; }
        .verdict { padding: 12px 16px; border-radius: 6px; font-weight: 600; margin: 16px 0; }
        .verdict.pass { background: #dcfce7; color: #166534; } .verdict.fail { background: #fee2e2; color: #991b1b; }
        .partial { background: #fef3c7; color: #92400e; padding: 8px 12px; border-radius: 6px; }
        table { border-collapse: collapse; background: white; margin: 8px 0; font-variant-numeric: tabular-nums; }
        th, td { padding: 5px 10px; border-bottom: 1px solid #e2e8f0; text-align: right; vertical-align: top; }
        th { background: #f1f5f9; font-weight: 600; } td:first-child, th:first-child { text-align: left; }
        td.text, th.text { text-align: left; } tr.failed td { background: #fef2f2; } tr.total td { font-weight: 600; }
        pre { margin: 0; font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; text-align: left; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 8px; margin-top: 8px; }
        svg.chart { width: 100%; height: auto; background: white; border: 1px solid #e2e8f0; border-radius: 4px; }
        svg .grid { stroke: #e2e8f0; stroke-width: 1; } svg .frame { fill: none; stroke: #94a3b8; }
        svg .tick, svg .legend { font-size: 11px; fill: #475569; } svg .axis { font-size: 12px; fill: #334155; }
        svg .chart-title { font-size: 13px; font-weight: 600; fill: #0f172a; } svg .track { fill: #f1f5f9; } svg .empty { fill: #94a3b8; }
        .facts td:first-child { color: #64748b; } tr.chosen td { background: #ecfdf5; font-weight: 600; }
        """#
}

/// The page of report.html (Mustache; `{{{…}}}` holds SVG made by ``LineChart`` and ``BarChart``).
enum HTMLTemplate {
    /// The document head and style every tripbench page shares, up to the opening `<main>`.
    static let head = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>tripbench: {{title}}</title>
        <style>
        \#(HTMLStyle.css)
        </style>
        </head>
        <body>
        <main>
        """# + "\n"

    static let page = try! MustacheTemplate(string: head + #"""
        <h1>tripbench: {{title}}</h1>
        <div class="muted">{{description}}</div>
        {{#partial}}<p class="partial">Partial report: the run was stopped early; the figures cover the part that ran.</p>{{/partial}}
        {{#verdict}}<div class="verdict {{#passed}}pass{{/passed}}{{^passed}}fail{{/passed}}">{{#passed}}✓{{/passed}}{{^passed}}✗{{/passed}} {{text}}</div>{{/verdict}}
        <table class="facts">{{#facts}}<tr><td>{{name}}</td><td class="text">{{value}}</td></tr>{{/facts}}</table>
        {{#targets}}
        <h2>{{name}}</h2>
        <table>
        <tr><th>operation</th><th>count</th><th>QPS</th><th>P50</th><th>P95</th><th>P99</th><th>max</th><th>errors</th><th>recall</th><th class="text">target</th><th>verdict</th></tr>
        {{#rows}}
        <tr{{#failed}} class="failed"{{/failed}}><td>{{operation}}</td>{{#skipped}}<td colspan="8" class="text muted">{{skipped}}</td>{{/skipped}}{{#figures}}<td>{{.}}</td>{{/figures}}<td class="text">{{targets}}</td><td>{{mark}}</td></tr>
        {{/rows}}
        {{#total}}<tr class="total"><td>total</td><td>{{count}}</td><td>{{qps}}</td><td></td><td></td><td></td><td></td><td>{{errors}}</td><td></td><td class="text">{{targets}}</td><td>{{mark}}</td></tr>{{/total}}
        </table>
        <div class="muted">{{note}}</div>
        <div class="charts">{{#charts}}{{{.}}}{{/charts}}</div>
        {{/targets}}
        {{#recall}}<h2>Recall</h2><div style="max-width: 760px">{{{recall}}}</div>{{/recall}}
        {{#hasThresholds}}<h2>Thresholds</h2>{{/hasThresholds}}
        {{#hasThresholds}}<table><tr><th></th><th class="text">target</th><th class="text">operation</th><th class="text">threshold</th><th class="text">measured</th></tr>{{/hasThresholds}}
        {{#thresholds}}<tr><td>{{mark}}</td><td class="text">{{target}}</td><td class="text">{{operation}}</td><td class="text">{{expression}}</td><td class="text">{{detail}}</td></tr>{{/thresholds}}
        {{#hasThresholds}}</table>{{/hasThresholds}}
        {{#hasComparison}}<h2>Against the baseline</h2><table><tr><th class="text">target</th><th class="text">operation</th><th class="text">metric</th><th>base</th><th>new</th><th>change</th><th>noise</th><th class="text">verdict</th></tr>{{/hasComparison}}
        {{#comparison}}<tr{{#regression}} class="failed"{{/regression}}><td class="text">{{target}}</td><td class="text">{{operation}}</td><td class="text">{{metric}}</td><td>{{base}}</td><td>{{new}}</td><td>{{change}}</td><td>{{noise}}</td><td class="text">{{status}}</td></tr>{{/comparison}}
        {{#hasComparison}}</table>{{/hasComparison}}
        {{#health}}
        <h2>Database health (PostgreSQL)</h2>
        <table><tr><th>figure</th><th>value</th><th>target</th><th>verdict</th></tr>
        {{#figures}}<tr><td>{{name}}</td><td>{{value}}</td><td>{{target}}</td><td>{{mark}}</td></tr>{{/figures}}
        </table>
        <table><tr><th>operation</th><th class="text">memory_embeddings read by</th><th class="text">plans of the run's draws</th><th class="text">plan (EXPLAIN at start, first draw)</th></tr>
        {{#plans}}<tr{{#seqScan}} class="failed"{{/seqScan}}><td>{{operation}}</td><td class="text">{{access}}</td><td class="text">{{shares}}</td><td class="text"><pre>{{plan}}</pre></td></tr>{{/plans}}
        </table>
        {{#hasStatements}}<table><tr><th>calls</th><th>mean</th><th>max</th><th>total</th><th class="text">statement (pg_stat_statements, measured window)</th></tr>{{/hasStatements}}
        {{#statements}}<tr><td>{{calls}}</td><td>{{mean}}</td><td>{{max}}</td><td>{{total}}</td><td class="text"><pre>{{query}}</pre></td></tr>{{/statements}}
        {{#hasStatements}}</table>{{/hasStatements}}
        {{#missing}}<p class="muted">not collected: {{.}}</p>{{/missing}}
        {{/health}}
        <h2>Environment</h2>
        <table class="facts">{{#environment}}<tr><td>{{name}}</td><td class="text">{{value}}</td></tr>{{/environment}}</table>
        <p class="muted">Latencies from HdrHistogram (µs, 3 significant digits), merged across clients; open-loop latency counts from each request's scheduled start.</p>
        </main>
        </body>
        </html>

        """#)
}

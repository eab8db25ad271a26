import Foundation
import Mustache
import Results

/// A report made of facts, sections, tables and charts, rendered both as Markdown (charts left out) and as
/// one self-contained HTML page in report.html's style. The sweep and capacity reports are built as one.
struct ReportDocument {
    var title: String
    var description: String
    /// A one-line conclusion shown first (green when `good`, red when not).
    var headline: (text: String, good: Bool)?
    var facts: [(name: String, value: String)] = []
    var sections: [Section] = []

    struct Section {
        var title: String
        var paragraphs: [String] = []
        var charts: [String] = []
        var tables: [Table] = []
        /// Shown after the tables, muted.
        var notes: [String] = []
    }

    struct Table {
        var headers: [String]
        var rows: [[String]]
        /// Rows drawn emphasised (a recommendation, a Pareto point, a passing step).
        var emphasised: Set<Int> = []
        /// Rows drawn as failures.
        var failed: Set<Int> = []
    }

    /// The machine, the server and the tripbench build a study ran on, as facts.
    mutating func addEnvironment(_ environment: RunEnvironment?) {
        guard let environment else { return }
        self.facts.append(("machine", "\(environment.cpuModel), \(environment.cores) cores, \(environment.memoryBytes >> 30) GiB"))
        if let server = environment.serverVersion { self.facts.append(("server", server.components(separatedBy: " on ").first ?? server)) }
        self.facts.append(("tripbench", "\(environment.tripbenchVersion) (\(environment.gitCommit)), \(environment.startTime) to \(environment.endTime)"))
    }

    func markdown() -> String {
        var lines = ["# tripbench: \(self.title)", ""]
        if !self.description.isEmpty { lines += [self.description, ""] }
        if let headline = self.headline { lines += ["**\(headline.good ? "✅" : "❌") \(headline.text)**", ""] }
        if !self.facts.isEmpty {
            lines += ["| | |", "|---|---|"] + self.facts.map { "| \($0.name) | \(MarkdownReport.escape($0.value)) |" } + [""]
        }
        for section in self.sections {
            lines += ["## \(section.title)", ""]
            for paragraph in section.paragraphs { lines += [paragraph, ""] }
            for table in section.tables {
                lines.append("| " + table.headers.map(MarkdownReport.escape).joined(separator: " | ") + " |")
                lines.append("|" + table.headers.indices.map { $0 == 0 ? "---" : "---:" }.joined(separator: "|") + "|")
                for (number, row) in table.rows.enumerated() {
                    let cells = row.map(MarkdownReport.escape).map { table.emphasised.contains(number) && !$0.isEmpty ? "**\($0)**" : $0 }
                    lines.append("| " + cells.joined(separator: " | ") + " |")
                }
                lines.append("")
            }
            for note in section.notes { lines += ["_\(note)_", ""] }
        }
        return lines.joined(separator: "\n")
    }

    func html() -> String {
        var context: [String: Any] = [
            "title": self.title, "description": self.description,
            "facts": self.facts.map { ["name": $0.name, "value": $0.value] },
            "sections": self.sections.map { section -> [String: Any] in
                [
                    "heading": section.title, "paragraphs": section.paragraphs, "charts": section.charts, "notes": section.notes,
                    "tables": section.tables.map { table -> [String: Any] in
                        [
                            "headers": table.headers,
                            "rows": table.rows.enumerated().map { number, cells -> [String: Any] in
                                ["cells": cells, "rowClass": table.failed.contains(number) ? "failed" : table.emphasised.contains(number) ? "chosen" : ""]
                            },
                        ]
                    },
                ]
            },
        ]
        if let headline = self.headline { context["headline"] = ["text": headline.text, "good": headline.good] as [String: Any] }
        return Self.template.render(context)
    }

    private static let template = try! MustacheTemplate(string: HTMLTemplate.head + #"""
        <h1>tripbench: {{title}}</h1>
        <div class="muted">{{description}}</div>
        {{#headline}}<div class="verdict {{#good}}pass{{/good}}{{^good}}fail{{/good}}">{{#good}}✓{{/good}}{{^good}}✗{{/good}} {{text}}</div>{{/headline}}
        <table class="facts">{{#facts}}<tr><td>{{name}}</td><td class="text">{{value}}</td></tr>{{/facts}}</table>
        {{#sections}}
        <h2>{{heading}}</h2>
        {{#paragraphs}}<p>{{.}}</p>{{/paragraphs}}
        <div class="charts">{{#charts}}{{{.}}}{{/charts}}</div>
        {{#tables}}<table><tr>{{#headers}}<th>{{.}}</th>{{/headers}}</tr>
        {{#rows}}<tr class="{{rowClass}}">{{#cells}}<td>{{.}}</td>{{/cells}}</tr>{{/rows}}
        </table>{{/tables}}
        {{#notes}}<p class="muted">{{.}}</p>{{/notes}}
        {{/sections}}
        </main>
        </body>
        </html>

        """#)
}

import Foundation

/// Inline SVG charts for report.html: line charts (linear or log axes, custom ticks) and horizontal bars.
/// Plain SVG with no script, so the report opens anywhere, offline.
struct LineChart {
    struct Series {
        var name: String
        var color: String
        var dashed = false
        var points: [(x: Double, y: Double)]
        /// A dot at each point (sweeps: one per ef_search).
        var markers = false
        var strokeWidth = 2.0
    }

    /// Vertical marks across the plot at x (a knee, a limit), labelled at the top, inside the plot.
    var xMarks: [(x: Double, label: String, color: String)] = []
    /// Horizontal marks across the plot at y (an SLO).
    var yMarks: [(y: Double, label: String, color: String)] = []

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    /// Tick positions and labels on x; nil for evenly spaced numbers.
    var xTicks: [(Double, String)]?
    var logY = false
    var formatY: (Double) -> String = { MetricText.number($0) }

    static let width = 720.0, height = 280.0
    static let left = 70.0, right = 150.0, top = 30.0, bottom = 45.0
    static let palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#475569"]

    func svg() -> String {
        let points = (self.series.flatMap(\.points) + self.yMarks.map { (x: self.series.first?.points.first?.x ?? 0, y: $0.y) })
            .filter { !self.logY || $0.y > 0 }
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" class=\"chart\" role=\"img\">"
        out += "<title>\(Escape.xml(self.title))</title>"
        out += "<text x=\"\(Self.left)\" y=\"18\" class=\"chart-title\">\(Escape.xml(self.title))</text>"
        guard !points.isEmpty else {
            return out + "<text x=\"\(Self.left + 10)\" y=\"\(Self.top + 30)\" class=\"empty\">no data</text></svg>"
        }
        let xMin = self.xTicks?.map(\.0).min() ?? points.map(\.x).min()!
        let xMax = max(self.xTicks?.map(\.0).max() ?? points.map(\.x).max()!, xMin + 1e-9)
        let ys = points.map(\.y)
        var (yMin, yMax) = self.logY ? (log10(ys.min()!), log10(ys.max()!)) : (0.0, ys.max()!)
        if self.logY {
            yMin = floor(yMin)
            yMax = max(ceil(yMax), yMin + 1)
        } else {
            yMax = yMax > 0 ? Self.niceCeiling(yMax) : 1
        }
        let scaleX = { (x: Double) in Self.left + (x - xMin) / (xMax - xMin) * plotWidth }
        let scaleY = { (y: Double) in
            let value = self.logY ? log10(max(y, 1e-12)) : y
            return Self.top + plotHeight - (value - yMin) / (yMax - yMin) * plotHeight
        }
        // Grid and y ticks.
        let yTicks: [Double] = self.logY ? stride(from: yMin, through: yMax, by: 1).map { pow(10, $0) } : (0...4).map { yMax * Double($0) / 4 }
        for tick in yTicks {
            let y = scaleY(tick)
            out += "<line x1=\"\(Self.left)\" x2=\"\(Self.left + plotWidth)\" y1=\"\(Self.f(y))\" y2=\"\(Self.f(y))\" class=\"grid\"/>"
            out += "<text x=\"\(Self.left - 6)\" y=\"\(Self.f(y + 4))\" class=\"tick\" text-anchor=\"end\">\(Escape.xml(self.formatY(tick)))</text>"
        }
        let step = Self.niceCeiling((xMax - xMin) / 6)
        let ticks = self.xTicks ?? stride(from: ceil(xMin / step) * step, through: xMax, by: step).map { ($0, MetricText.number($0)) }
        for (value, label) in ticks {
            let x = scaleX(value)
            out += "<line x1=\"\(Self.f(x))\" x2=\"\(Self.f(x))\" y1=\"\(Self.top)\" y2=\"\(Self.top + plotHeight)\" class=\"grid\"/>"
            out += "<text x=\"\(Self.f(x))\" y=\"\(Self.top + plotHeight + 16)\" class=\"tick\" text-anchor=\"middle\">\(Escape.xml(label))</text>"
        }
        out += "<rect x=\"\(Self.left)\" y=\"\(Self.top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" class=\"frame\"/>"
        out += "<text x=\"\(Self.left + plotWidth / 2)\" y=\"\(Self.height - 6)\" class=\"axis\" text-anchor=\"middle\">\(Escape.xml(self.xLabel))</text>"
        out += "<text transform=\"translate(14 \(Self.f(Self.top + plotHeight / 2))) rotate(-90)\" class=\"axis\" text-anchor=\"middle\">\(Escape.xml(self.yLabel))</text>"
        for (number, series) in self.series.enumerated() {
            let path = series.points.filter { !self.logY || $0.y > 0 }.map { "\(Self.f(scaleX($0.x))),\(Self.f(scaleY($0.y)))" }.joined(separator: " ")
            if series.points.count == 1, let point = series.points.first {
                out += "<circle cx=\"\(Self.f(scaleX(point.x)))\" cy=\"\(Self.f(scaleY(point.y)))\" r=\"3\" fill=\"\(series.color)\"/>"
            } else {
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"\(series.strokeWidth)\"\(series.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            }
            if series.markers {
                for point in series.points where !self.logY || point.y > 0 {
                    out += "<circle cx=\"\(Self.f(scaleX(point.x)))\" cy=\"\(Self.f(scaleY(point.y)))\" r=\"3\" fill=\"\(series.color)\"/>"
                }
            }
            let legendY = Self.top + 8 + Double(number) * 18
            let legendX = Self.left + plotWidth + 12
            out += "<line x1=\"\(legendX)\" x2=\"\(legendX + 18)\" y1=\"\(legendY)\" y2=\"\(legendY)\" stroke=\"\(series.color)\" stroke-width=\"2\"\(series.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            out += "<text x=\"\(legendX + 24)\" y=\"\(legendY + 4)\" class=\"legend\">\(Escape.xml(series.name))</text>"
        }
        for (number, mark) in self.xMarks.filter({ $0.x >= xMin && $0.x <= xMax }).enumerated() {
            let x = Self.f(scaleX(mark.x))
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(Self.top)\" y2=\"\(Self.top + plotHeight)\" stroke=\"\(mark.color)\" stroke-dasharray=\"3 3\"/>"
            // Inside the plot, beside its line, one under another: above the frame they would run into the title.
            out += "<text x=\"\(Self.f(scaleX(mark.x) + 4))\" y=\"\(Self.top + 12 + 12 * Double(number))\" class=\"tick\">\(Escape.xml(mark.label))</text>"
        }
        for mark in self.yMarks {
            let y = Self.f(scaleY(mark.y))
            out += "<line x1=\"\(Self.left)\" x2=\"\(Self.left + plotWidth)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"\(mark.color)\" stroke-dasharray=\"6 3\"/>"
            out += "<text x=\"\(Self.left + plotWidth - 4)\" y=\"\(Self.f(scaleY(mark.y) - 4))\" class=\"tick\" text-anchor=\"end\">\(Escape.xml(mark.label))</text>"
        }
        return out + "</svg>"
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let power = pow(10, floor(log10(value)))
        return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= value } ?? 10 * power
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// Horizontal bars with their values, for figures per operation (recall).
struct BarChart {
    var title: String
    var bars: [(label: String, value: Double, color: String)]
    var maximum: Double
    var format: (Double) -> String

    func svg() -> String {
        let rowHeight = 22.0, labelWidth = 220.0, barWidth = 400.0
        let height = 34 + rowHeight * Double(max(self.bars.count, 1))
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 \(Int(height))\" class=\"chart\" role=\"img\">"
        out += "<title>\(Escape.xml(self.title))</title><text x=\"10\" y=\"18\" class=\"chart-title\">\(Escape.xml(self.title))</text>"
        if self.bars.isEmpty { return out + "<text x=\"20\" y=\"44\" class=\"empty\">not measured</text></svg>" }
        for (row, bar) in self.bars.enumerated() {
            let y = 30 + rowHeight * Double(row)
            let width = max(bar.value / self.maximum, 0) * barWidth
            out += "<text x=\"\(labelWidth - 8)\" y=\"\(LineChart.f(y + 14))\" class=\"tick\" text-anchor=\"end\">\(Escape.xml(bar.label))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(LineChart.f(y + 3))\" width=\"\(barWidth)\" height=\"\(rowHeight - 6)\" class=\"track\"/>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(LineChart.f(y + 3))\" width=\"\(LineChart.f(width))\" height=\"\(rowHeight - 6)\" fill=\"\(bar.color)\"/>"
            out += "<text x=\"\(LineChart.f(labelWidth + barWidth + 8))\" y=\"\(LineChart.f(y + 14))\" class=\"tick\">\(Escape.xml(self.format(bar.value)))</text>"
        }
        return out + "</svg>"
    }
}

enum Escape {
    static func xml(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

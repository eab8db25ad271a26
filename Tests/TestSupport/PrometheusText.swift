/// Prometheus's text exposition, as the tests read a `/metrics` page.
public enum PrometheusText {
    /// `name{labels} value` lines of the exposition, by name and labels.
    public static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            samples[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        return samples
    }
}

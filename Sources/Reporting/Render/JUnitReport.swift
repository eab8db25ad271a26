import Foundation
import Mustache
import Results

/// `junit.xml`: one test suite per target, one test case per threshold (and per operation compared with a
/// baseline); a failure carries the measured value and the limit. CI systems show these as test results.
public enum JUnitReport {
    static let template = try! MustacheTemplate(string: """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="tripbench {{scenario}}" tests="{{tests}}" failures="{{failures}}" skipped="{{skipped}}" time="{{time}}">
        {{#suites}}
          <testsuite name="{{name}}" tests="{{tests}}" failures="{{failures}}" skipped="{{skipped}}" time="{{time}}" timestamp="{{timestamp}}">
        {{#cases}}
            <testcase classname="{{classname}}" name="{{name}}" time="0">
        {{#hasFailure}}
              <failure type="{{failureType}}" message="{{failureMessage}}">{{failureMessage}}</failure>
        {{/hasFailure}}
        {{#skipMessage}}
              <skipped message="{{.}}"/>
        {{/skipMessage}}
              <system-out>{{output}}</system-out>
            </testcase>
        {{/cases}}
          </testsuite>
        {{/suites}}
        </testsuites>

        """)

    public static func render(_ report: RunReport, verdict: GateVerdict) -> String {
        // A target that never ran keeps its suite: its cases fail, saying so.
        self.render(
            scenario: report.scenario.name, cases: verdict.cases, targets: ThresholdVerdict.targets(of: report), timestamp: report.environment.startTime
        ) { target in report.totals.first { $0.target == target }?.measuredSeconds ?? 0 }
    }

    /// One suite per target (`tripbench.<scenario>.<target>`) of `cases`; `seconds` gives each suite's time.
    static func render(scenario: String, cases: [GateVerdict.Case], targets: [String], timestamp: String, seconds: (String) -> Double) -> String {
        let suites: [[String: Any]] = targets.map { target in
            let mine = cases.filter { $0.suite == target }
            let seconds = seconds(target)
            let suite = "tripbench.\(scenario).\(target)"
            return [
                "name": suite, "tests": mine.count, "failures": mine.filter { $0.failure != nil }.count,
                "skipped": mine.filter { $0.skipped != nil }.count, "time": String(format: "%.3f", seconds),
                "timestamp": timestamp,
                "cases": mine.map { item -> [String: Any] in
                    var entry: [String: Any] = ["classname": suite, "name": item.name, "output": item.output]
                    if let failure = item.failure {
                        entry["hasFailure"] = true
                        entry["failureMessage"] = failure
                        entry["failureType"] = item.kind
                    }
                    if let skipped = item.skipped { entry["skipMessage"] = skipped }
                    return entry
                },
            ]
        }
        return self.template.render([
            "scenario": scenario, "tests": cases.count, "failures": cases.filter { $0.failure != nil }.count,
            "skipped": cases.filter { $0.skipped != nil }.count,
            "time": String(format: "%.3f", targets.reduce(0) { $0 + seconds($1) }), "suites": suites,
        ] as [String: Any])
    }
}

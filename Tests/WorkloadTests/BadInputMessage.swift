import Testing
import Workload

/// The message of the bad-input error `body` throws, or "no error". Any other error is recorded as a failed
/// expectation on its kind, or returned as text, so an assertion on the message fails with it in view.
func badInputMessage(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch let error as WorkloadError {
        #expect(error.kind == .badInput)
        return error.message
    } catch {
        return "\(error)"
    }
}

import ArgumentParser
import Postgres
import Workload

// Options that name one of the workload's choices are parsed into it: a value outside the choice is a usage
// error (exit 2) that lists the valid ones, and the help shows them.
extension TargetSelection: ExpressibleByArgument {}
extension ArrivalProcess: ExpressibleByArgument {}
extension PostgresStatementDriver: ExpressibleByArgument {}

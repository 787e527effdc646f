import PfnCallers
import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers

extension Runner {
  /// One rule for one subject and architecture: the unit the run's jobs share out.
  struct Piece {
    var key: SuiteKey
    var rule: Rule
    var file: SpecFile
    var walker: any Walker
    var caller: (any Caller)?
    var arch: any Architecture
    var suiteOrdinal: Int
    var ruleOrdinal: Int

    /// A guess at the piece's cost, to start the costliest first: schedules
    /// grow about eightfold per race step, a rule without a race runs once.
    func estimatedCost(raceBound: Int?) -> Int {
      guard let given = rule.raceGiven else { return 1 }
      let bound = raceBound ?? given
      return 8 << (3 * min(max(bound, 0), 6))
    }
  }

  /// The threads this run may use: more than one only when nothing is called
  /// per case in order (a plug-in worker's bookkeeping) and no resume point
  /// decides which cases run.
  var parallelJobs: Int {
    guard options.jobs > 1, options.caseWillRun == nil, options.caseWillRunAt == nil, options.resume == nil else {
      return 1
    }
    return options.jobs
  }
}

extension Rule {
  /// The bound a `given race` clause names (2 when it names none); `nil`
  /// without one.
  var raceGiven: Int? {
    for clause in clauses {
      guard case .given(let given) = clause.kind, given.subject.value == "race" else { continue }
      for attribute in given.attributes where attribute.name.value == "bound" {
        if case .integer(let value) = attribute.value.kind { return Int(clamping: value) }
      }
      return 2
    }
    return nil
  }
}

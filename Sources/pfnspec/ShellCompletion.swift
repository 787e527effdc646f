import ArgumentParser
import PfnRun

/// The custom completions of the command line's values. The scripts from
/// `pfnspec --generate-completion-script bash|zsh|fish` call back into
/// `pfnspec ---completion ...`, which answers with ``CompletionCandidates``.
enum ShellCompletion {
  typealias Complete = @Sendable ([String], Int, String) -> [String]

  static let walkers: Complete = { _, _, prefix in CompletionCandidates.walkers(prefix: prefix) }
  static let callers: Complete = { _, _, prefix in CompletionCandidates.callers(prefix: prefix) }
  static let architectures: Complete = { _, _, prefix in CompletionCandidates.architectures(prefix: prefix) }
  static let ruleIDs: Complete = { words, _, prefix in CompletionCandidates.ruleIDs(prefix: prefix, words: words) }
  static let tags: Complete = { words, _, prefix in CompletionCandidates.tags(prefix: prefix, words: words) }
  static let specPaths: Complete = { _, _, prefix in CompletionCandidates.specFiles(prefix: prefix) }
}

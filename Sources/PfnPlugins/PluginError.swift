import PfnResults

/// Something wrong with a plug-in walker that is not a fault the model knows:
/// it cannot be loaded, speaks another ABI, crashed, hung, or broke its
/// channel. Cases it happens in get an error verdict with this text.
public struct PluginError: VerdictCauseError, Sendable, CustomStringConvertible {
  public var description: String
  /// What a verdict says about it: a timeout, or the plug-in's error as it is.
  public var verdictCause: VerdictCause

  public init(_ description: String) {
    self.description = description
    verdictCause = .walkerError(message: description)
  }

  public init(_ description: String, cause: VerdictCause) {
    self.description = description
    verdictCause = cause
  }
}

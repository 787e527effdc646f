/// Something wrong with a plug-in walker that is not a fault the model knows:
/// it cannot be loaded, speaks another ABI, crashed, hung, or broke its
/// channel. Cases it happens in get an error verdict with this text.
public struct PluginError: Error, Sendable, CustomStringConvertible {
  public var description: String

  public init(_ description: String) { self.description = description }
}

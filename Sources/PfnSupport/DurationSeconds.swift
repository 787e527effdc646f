extension Duration {
  /// The duration in seconds, as a `Double`.
  public var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}

extension ContinuousClock.Instant {
  /// Seconds from this instant to now.
  public var secondsElapsed: Double { (ContinuousClock.now - self).seconds }
}

/// `2s`, `0.5s`.
public func formatSeconds(_ seconds: Double) -> String {
  seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
}

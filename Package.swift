// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "pfnspec",
  products: [
    .executable(name: "pfnspec", targets: ["pfnspec"]),
    .library(name: "PfnSpecRunner", targets: ["PfnSpecRunner"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // The page-table model: architectures, memory, VMAs, locks, the oracle,
    // and the host interface that walkers see.
    .target(name: "PfnModel"),
    // The `Walker` protocol and the built-in walkers (reference, legacy, mutants).
    .target(name: "PfnWalkers", dependencies: ["PfnModel"]),
    // The rule language: lexer, parser, located AST, semantic checks, diagnostics.
    .target(name: "PfnSpecLanguage"),
    // Verdicts and the stream that connects the engine to the reporters.
    .target(name: "PfnResults"),
    // Instantiation of rules into cases and their execution against walkers.
    .target(
      name: "PfnSpecRunner",
      dependencies: ["PfnModel", "PfnWalkers", "PfnSpecLanguage", "PfnResults"]),
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
    // Console and JUnit XML reporters; they only consume verdict events.
    .target(name: "PfnReports", dependencies: ["PfnResults", "CLibXML2"]),
    .executableTarget(
      name: "pfnspec",
      dependencies: [
        "PfnSpecRunner", "PfnReports", "PfnSpecLanguage", "PfnModel", "PfnWalkers", "PfnResults",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "PfnModelTests", dependencies: ["PfnModel"]),
    .testTarget(name: "PfnWalkersTests", dependencies: ["PfnWalkers", "PfnModel"]),
    .testTarget(name: "PfnSpecLanguageTests", dependencies: ["PfnSpecLanguage"]),
    .testTarget(
      name: "PfnSpecRunnerTests",
      dependencies: ["PfnSpecRunner", "PfnWalkers", "PfnModel", "PfnSpecLanguage", "PfnResults"]),
    .testTarget(name: "PfnReportsTests", dependencies: ["PfnReports", "PfnResults", "CLibXML2"]),
  ]
)

// swift-tools-version:6.0
import PackageDescription

// MARK: Plug-in walkers

/// The C walkers the package builds as shared objects: the kernel-style
/// example, its mutants, and the fault corpus the tests load.
let cWalkers: [(target: String, path: String)] =
  [
    ("PfnExampleWalker", "Examples/CWalker/reference"),
    ("PfnExampleMutantDerefNullFile", "Examples/CWalker/mutant-deref-null-file"),
    ("PfnExampleMutantLeakLock", "Examples/CWalker/mutant-leak-lock"),
    ("PfnExampleMutantPlainReadPMD", "Examples/CWalker/mutant-plain-read-pmd"),
  ]
  + [
    ("NullDeref", "null-deref"), ("Abort", "abort"), ("LoopForever", "loop-forever"), ("Exit", "exit"),
    ("PrintGarbage", "print-garbage"), ("SuccessHoldingNothing", "success-holding-nothing"),
    ("LeakLock", "leak-lock"), ("ScribbleArgs", "scribble-args"), ("NullOut", "null-out"),
    ("WriteThroughPointer", "write-through-pointer"),
    // The hostile corpus: plug-ins that attack the run itself (docs/walkers.md, "Threat model").
    ("ForgeDone", "forge-done"), ("ForkChildren", "fork-children"), ("HoldPipeCrash", "hold-pipe-crash"),
    ("Alarm", "alarm"), ("GrowMemory", "grow-memory"), ("CloseAndSpin", "close-and-spin"),
    ("ScribbleFar", "scribble-far"),
    // Dies in every case: the pace of a run whose walker never survives (`pfnspec bench plugin`).
    ("CrashAlways", "crash-always"),
  ].map { ("PfnFault" + $0.0, "Tests/FaultCorpus/" + $0.1) }

/// The C callers the package builds as shared objects: the kernel-style
/// twins of the built-in Swift callers (a C caller named `X-c` behaves as the
/// Swift caller `X`), and a caller whose notifier faults, for the tests.
let cCallers: [(target: String, path: String)] = [
  ("PfnCallerKVMLike", "Examples/CCaller/kvm-like"),
  ("PfnCallerGapLike", "Examples/CCaller/gap-like"),
  ("PfnCallerVFIOLike", "Examples/CCaller/vfio-like"),
  ("PfnCallerEndThenUse", "Examples/CCaller/end-then-use"),
  ("PfnCallerGetPage", "Examples/CCaller/get-page"),
  ("PfnCallerSleeper", "Examples/CCaller/sleeper"),
  ("PfnCallerMutantKVMNoRetry", "Examples/CCaller/mutant-kvm-no-retry"),
  ("PfnCallerMutantKVMNotifierKeepsMap", "Examples/CCaller/mutant-kvm-notifier-keeps-map"),
  ("PfnCallerMutantGapComparePFNOnly", "Examples/CCaller/mutant-gap-compare-pfn-only"),
  ("PfnCallerFaultNotifierUnlock", "Tests/FaultCorpus/caller-notifier-unlock"),
  ("PfnCallerFaultCrash", "Tests/FaultCorpus/caller-crash"),
  ("PfnCallerFaultHang", "Tests/FaultCorpus/caller-hang"),
]

var pluginProducts: [Product] {
  (cWalkers + cCallers).map { .library(name: $0.target, type: .dynamic, targets: [$0.target]) }
}

var pluginTargets: [Target] {
  [
    // The ABI headers (pfnspec_walker.h, pfnspec_caller.h) and the kernel shims
    // (pfnspec_kernel.h for walkers, pfnspec_caller_kernel.h for callers).
    .target(name: "CPfnWalker"),
    // The runner's C side of the ABI: calls that a faulting host call can leave, crash reports.
    .target(name: "CPfnWalkerHost", dependencies: ["CPfnWalker"]),
    // Shared objects in worker processes, the stdio protocol, and the workers' supervisor.
    .target(
      name: "PfnPlugins",
      dependencies: [
        "PfnModel", "PfnWalkers", "PfnCallers", "PfnResults", "PfnSpecRunner", "PfnSupport", "CPfnWalker",
        "CPfnWalkerHost",
      ]),
    .testTarget(
      name: "PfnPluginsTests",
      dependencies: [
        "PfnPlugins", "PfnSpecRunner", "PfnReports", "PfnResults", "PfnWalkers", "PfnCallers", "PfnModel",
        "PfnSpecLanguage", "CPfnWalker", "PfnTestSupport", "PfnRun",
      ],
      exclude: ["Walkers"]),
  ]
    + (cWalkers + cCallers).map {
      .target(name: $0.target, dependencies: ["CPfnWalker"], path: $0.path, publicHeadersPath: ".")
    }
}

let package = Package(
  name: "pfnspec",
  products: [
    .executable(name: "pfnspec", targets: ["pfnspec"]),
    .library(name: "PfnSpecRunner", targets: ["PfnSpecRunner"]),
    // The whole run as a library: built-in and plug-in walkers, workers, shards.
    .library(name: "PfnRun", targets: ["PfnRun"]),
    // Plug-in walkers: the C ABI and kernel shim headers, and the examples built from them.
    .library(name: "CPfnWalker", targets: ["CPfnWalker"]),
  ] + pluginProducts,
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // `swift package generate-documentation`: the DocC catalogs of the library products (`make docs`).
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    // The page-table model: architectures, memory, VMAs, locks, the oracle,
    // and the host interface that walkers see.
    .target(name: "PfnModel"),
    // The `Walker` protocol and the built-in walkers (reference, legacy, mutants).
    .target(name: "PfnWalkers", dependencies: ["PfnModel"]),
    // The `Caller` protocol, the caller host over the model with its oracle of
    // uses, and the built-in callers (examples, unsafe shapes, mutants).
    .target(name: "PfnCallers", dependencies: ["PfnModel", "PfnWalkers", "PfnSupport"]),
    // The rule language: lexer, parser, located AST, semantic checks, diagnostics.
    .target(name: "PfnSpecLanguage"),
    // Small helpers shared by the modules: shell quoting, seconds of a Duration,
    // source slices, the seeded generator and the stable hash.
    .target(name: "PfnSupport"),
    // Verdicts (typed causes, structured replays) and the stream that connects
    // the engine to the reporters.
    .target(name: "PfnResults", dependencies: ["PfnSupport"]),
    // Instantiation of rules into cases and their execution against walkers.
    .target(
      name: "PfnSpecRunner",
      dependencies: ["PfnModel", "PfnWalkers", "PfnCallers", "PfnSpecLanguage", "PfnResults", "PfnSupport"]),
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
    // Console and JUnit XML reporters; they only consume verdict events.
    .target(name: "PfnReports", dependencies: ["PfnResults", "PfnSupport", "CLibXML2"]),
    .executableTarget(
      name: "pfnspec",
      dependencies: [
        "PfnSpecRunner", "PfnReports", "PfnSpecLanguage", "PfnModel", "PfnWalkers", "PfnCallers", "PfnResults",
        "PfnPlugins", "PfnSupport", "PfnRun",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "PfnModelTests", dependencies: ["PfnModel"]),
    .testTarget(name: "PfnWalkersTests", dependencies: ["PfnWalkers", "PfnModel"]),
    .testTarget(name: "PfnCallersTests", dependencies: ["PfnCallers", "PfnWalkers", "PfnModel"]),
    // Golden outputs are read from beside the sources, not bundled.
    .testTarget(name: "PfnSpecLanguageTests", dependencies: ["PfnSpecLanguage"], exclude: ["Snapshots"]),
    .testTarget(
      name: "PfnSpecRunnerTests",
      dependencies: ["PfnSpecRunner", "PfnWalkers", "PfnModel", "PfnSpecLanguage", "PfnResults", "PfnReports", "PfnSupport"],
      exclude: ["Schemas"]),
    .testTarget(name: "PfnReportsTests", dependencies: ["PfnReports", "PfnResults", "CLibXML2", "PfnTestSupport"]),
    // What `pfnspec run` runs, as a library: the configuration, spec and
    // contract discovery, built-in, stdio and shared-object walkers, workers.
    .target(
      name: "PfnRun",
      dependencies: [
        "PfnSpecRunner", "PfnPlugins", "PfnSpecLanguage", "PfnResults", "PfnModel", "PfnWalkers", "PfnCallers",
        "PfnSupport",
      ]),
    // A program that embeds the runner: a built-in walker and the C example in workers.
    .executableTarget(
      name: "EmbedRunner", dependencies: ["PfnRun", "PfnResults", "PfnReports"], path: "Examples/EmbedRunner"),
    .testTarget(name: "PfnRunTests", dependencies: ["PfnRun", "PfnResults", "PfnReports", "PfnTestSupport"]),
    // Test helpers: temporary folders, running processes, the package's paths.
    .target(name: "PfnTestSupport", path: "Tests/PfnTestSupport"),
  ] + pluginTargets
)

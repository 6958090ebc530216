import ArgumentParser

SwiftnetBench.main()

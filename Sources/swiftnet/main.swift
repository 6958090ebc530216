import ArgumentParser

Swiftnet.main()

// Byte tests for the validators: names are checked byte by byte against an ASCII whitelist,
// never with Character classes, which accept letters of every script.
extension UInt8 {
    var isASCIILetter: Bool { (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A) }
    var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
}

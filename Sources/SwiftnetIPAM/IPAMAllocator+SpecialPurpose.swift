import SwiftnetAddress

extension IPAMAllocator {
    /// A gateway the user chose (`--gateway`) must not be a special-purpose address. Pools in
    /// those ranges are refused already; this catches pools recorded before that was so.
    func refuseSpecialPurposeGateway(_ request: AddressRequest) throws {
        guard request.isGateway, let address = IPAddress(request.address), let range = address.specialPurposeRange else { return }
        throw IPAMError.specialPurpose(what: "gateway \(address)", range: range)
    }
}

/// The `IpamDriver.*` messages (libnetwork ipams/remote/api). Decoders accept missing keys
/// and `null` maps, as Go's decoder does, so any body dockerd ever sent decodes.
public enum IPAMAPI {
    public struct CapabilitiesResponse: Codable, Sendable, Equatable {
        public var RequiresMACAddress: Bool
        public var RequiresRequestReplay: Bool
        public init(RequiresMACAddress: Bool, RequiresRequestReplay: Bool) {
            self.RequiresMACAddress = RequiresMACAddress
            self.RequiresRequestReplay = RequiresRequestReplay
        }
    }

    public struct AddressSpacesResponse: Codable, Sendable, Equatable {
        public var LocalDefaultAddressSpace: String
        public var GlobalDefaultAddressSpace: String
        public init(LocalDefaultAddressSpace: String, GlobalDefaultAddressSpace: String) {
            self.LocalDefaultAddressSpace = LocalDefaultAddressSpace
            self.GlobalDefaultAddressSpace = GlobalDefaultAddressSpace
        }
    }

    public struct RequestPoolRequest: Codable, Sendable, Equatable {
        public var AddressSpace: String
        public var Pool: String
        public var SubPool: String
        public var Options: [String: String]?
        public var V6: Bool

        public init(AddressSpace: String, Pool: String = "", SubPool: String = "",
                    Options: [String: String]? = nil, V6: Bool = false) {
            self.AddressSpace = AddressSpace
            self.Pool = Pool
            self.SubPool = SubPool
            self.Options = Options
            self.V6 = V6
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            AddressSpace = try c.decodeIfPresent(String.self, forKey: .AddressSpace) ?? ""
            Pool = try c.decodeIfPresent(String.self, forKey: .Pool) ?? ""
            SubPool = try c.decodeIfPresent(String.self, forKey: .SubPool) ?? ""
            Options = try c.decodeIfPresent([String: String].self, forKey: .Options)
            V6 = try c.decodeIfPresent(Bool.self, forKey: .V6) ?? false
        }
    }

    public struct RequestPoolResponse: Codable, Sendable, Equatable {
        public var PoolID: String
        public var Pool: String
        public var Data: [String: String]
        public init(PoolID: String, Pool: String, Data: [String: String] = [:]) {
            self.PoolID = PoolID
            self.Pool = Pool
            self.Data = Data
        }
    }

    public struct ReleasePoolRequest: Codable, Sendable, Equatable {
        public var PoolID: String
        public init(PoolID: String) { self.PoolID = PoolID }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            PoolID = try c.decodeIfPresent(String.self, forKey: .PoolID) ?? ""
        }
    }

    public struct RequestAddressRequest: Codable, Sendable, Equatable {
        public var PoolID: String
        public var Address: String
        public var Options: [String: String]?

        public init(PoolID: String, Address: String = "", Options: [String: String]? = nil) {
            self.PoolID = PoolID
            self.Address = Address
            self.Options = Options
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            PoolID = try c.decodeIfPresent(String.self, forKey: .PoolID) ?? ""
            Address = try c.decodeIfPresent(String.self, forKey: .Address) ?? ""
            Options = try c.decodeIfPresent([String: String].self, forKey: .Options)
        }
    }

    public struct RequestAddressResponse: Codable, Sendable, Equatable {
        public var Address: String
        public var Data: [String: String]
        public init(Address: String, Data: [String: String] = [:]) {
            self.Address = Address
            self.Data = Data
        }
    }

    public struct ReleaseAddressRequest: Codable, Sendable, Equatable {
        public var PoolID: String
        public var Address: String
        public init(PoolID: String, Address: String) {
            self.PoolID = PoolID
            self.Address = Address
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            PoolID = try c.decodeIfPresent(String.self, forKey: .PoolID) ?? ""
            Address = try c.decodeIfPresent(String.self, forKey: .Address) ?? ""
        }
    }
}

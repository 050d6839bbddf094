/// The query string of a request, parsed and percent-decoded (`+` means space).
///
/// Names may repeat (`?region=eu&region=us`); order is kept. A bare name (`?dry_run`)
/// has the empty string as its value.
public struct QueryParameters: Sendable, Equatable {
    /// Every `name=value` pair, decoded, in the order sent.
    public private(set) var pairs: [(name: String, value: String)]

    /// An empty query.
    public init() {
        self.pairs = []
    }

    /// Parses a raw query string (without the `?`).
    ///
    /// - Throws: ``HTTPError`` 400 naming the parameter whose percent-encoding is malformed.
    public init(parsing query: Substring) throws(HTTPError) {
        var pairs: [(name: String, value: String)] = []
        for component in query.split(separator: "&", omittingEmptySubsequences: true) {
            let rawName: Substring
            let rawValue: Substring
            if let equals = component.firstIndex(of: "=") {
                rawName = component[..<equals]
                rawValue = component[component.index(after: equals)...]
            } else {
                rawName = component
                rawValue = ""
            }
            guard let name = PercentDecoding.decode(rawName, plusIsSpace: true) else {
                throw HTTPError(
                    .badRequest,
                    detail: "Query parameter name '\(rawName)' has malformed percent-encoding (use %XX with two hex digits, UTF-8)."
                )
            }
            guard let value = PercentDecoding.decode(rawValue, plusIsSpace: true) else {
                throw HTTPError(
                    .badRequest,
                    detail: "Query parameter '\(name)' has malformed percent-encoding (use %XX with two hex digits, UTF-8)."
                )
            }
            pairs.append((name, value))
        }
        self.pairs = pairs
    }

    /// The first value given for `name`, or nil if it is absent.
    public subscript(name: String) -> String? {
        self.pairs.first(where: { $0.name == name })?.value
    }

    /// Every value given for `name`, in order.
    public func values(_ name: String) -> [String] {
        self.pairs.filter { $0.name == name }.map(\.value)
    }

    /// The distinct names present, in order of first appearance.
    public var names: [String] {
        var seen = Set<String>()
        return self.pairs.compactMap { seen.insert($0.name).inserted ? $0.name : nil }
    }

    /// Whether there are no parameters.
    public var isEmpty: Bool { self.pairs.isEmpty }

    /// Same pairs in the same order.
    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}

extension Scheduling {
    /// The contract's lexicographic score of a plan; lower is better.
    ///
    /// `hard` counts violated hard constraints (a written plan must have 0), `unserved` is
    /// Σ priority × missing units, `cost` is Σ units × unit cost + the setup cost of every
    /// (order, factory) pair used + the batch cost of every (slot, pool group) with units
    /// (``Scheduling/planBatchCost(_:plan:)``), in minor units. Encoded as `{"hard","unserved","cost"}`.
    public struct Score: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
        public var hard: Int
        public var unserved: Int64
        public var cost: Int64

        public init(hard: Int = 0, unserved: Int64, cost: Int64) {
            self.hard = hard
            self.unserved = unserved
            self.cost = cost
        }

        /// Lexicographic: hard, then unserved, then cost.
        public static func < (lhs: Score, rhs: Score) -> Bool {
            if lhs.hard != rhs.hard { return lhs.hard < rhs.hard }
            if lhs.unserved != rhs.unserved { return lhs.unserved < rhs.unserved }
            return lhs.cost < rhs.cost
        }

        public var description: String { "(hard \(hard), unserved \(unserved), cost \(cost))" }

        enum CodingKeys: String, CodingKey {
            case hard, unserved, cost
        }
    }

    /// A proven lower bound on the (unserved, cost) part of the score of every plan with
    /// hard = 0: no valid plan scores lexicographically below `(0, unserved, cost)`.
    /// Encoded as `{"unserved","cost"}`.
    public struct Bound: Sendable, Hashable, Codable, CustomStringConvertible {
        public var unserved: Int64
        public var cost: Int64

        public init(unserved: Int64, cost: Int64) {
            self.unserved = unserved
            self.cost = cost
        }

        /// Whether `score` is at least as large as this bound (it always must be for valid plans).
        public func isBelowOrEqual(_ score: Score) -> Bool {
            Score(hard: 0, unserved: unserved, cost: cost) <= score
        }

        /// The relative cost gap `(score.cost - cost) / score.cost` when the unserved parts
        /// agree; nil when they differ (the gap is then on unserved units, not cost).
        public func costGap(of score: Score) -> Double? {
            guard score.unserved == unserved else { return nil }
            guard score.cost > 0 else { return 0 }
            return Double(score.cost - cost) / Double(score.cost)
        }

        public var description: String { "(unserved \(unserved), cost \(cost))" }
    }
}

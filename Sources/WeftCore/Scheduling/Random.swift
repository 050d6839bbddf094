extension Scheduling {
    /// xoshiro256** seeded through SplitMix64: small, fast and fully specified, so a seed gives
    /// the same sequence on every platform and Swift version. The solver and the instance
    /// generator use only this (never `SystemRandomNumberGenerator`, and never the standard
    /// library's `shuffle`/`random(in:)`, whose algorithms are not promised to stay the same).
    public struct SeededRandom: RandomNumberGenerator, Sendable {
        private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

        public init(seed: UInt64) {
            var x = seed
            func splitMix() -> UInt64 {
                x &+= 0x9E37_79B9_7F4A_7C15
                var z = x
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
        }

        public mutating func next() -> UInt64 {
            let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
            let t = s1 << 17
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
            s2 ^= t
            s3 = s3 << 45 | s3 >> 19
            return result
        }

        /// Uniform in `0..<bound` (bound > 0), by Lemire's multiply-shift with rejection.
        public mutating func below(_ bound: Int) -> Int {
            precondition(bound > 0)
            let b = UInt64(bound)
            while true {
                let product = next().multipliedFullWidth(by: b)
                if product.low >= b || product.low >= (0 &- b) % b { return Int(product.high) }
            }
        }

        /// Uniform in the closed range.
        public mutating func int(in range: ClosedRange<Int>) -> Int {
            range.lowerBound + below(range.upperBound - range.lowerBound + 1)
        }

        /// Uniform in [0, 1).
        public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

        /// True with probability `p`.
        public mutating func chance(_ p: Double) -> Bool { unit() < p }

        /// Fisher–Yates, spelled out so the permutation for a seed never changes.
        public mutating func shuffle<T>(_ array: inout [T]) {
            var i = array.count
            while i > 1 {
                let j = below(i)
                i -= 1
                array.swapAt(i, j)
            }
        }
    }
}

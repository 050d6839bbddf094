/// Batch-cost variables of the exact model (order pooling); see ``ExactModel``.
extension ExactModel {
    /// Adds the n[s,g] columns and their rows. (No batch costs in the model yet.)
    mutating func addBatchRows(_ index: ProblemIndex, xOfSlotByOrder: [[(order: Int, column: Int)]]) {}

    /// Sets the n columns of a MIP start to the batches its x values need.
    func fillBatchValues(_ values: inout [Double], index: ProblemIndex) {}
}

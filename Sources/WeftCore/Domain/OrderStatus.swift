/// An order's status from the units it holds (a cancelled order stays `cancelled`). The one
/// home of this rule: new orders, quotes and the store's refresh after a displacement or a run
/// all take it from here.
public enum OrderStatus {
    public static func of(allocated: Int, quantity: Int) -> String {
        allocated >= quantity ? "scheduled" : allocated > 0 ? "partial" : "unscheduled"
    }
}

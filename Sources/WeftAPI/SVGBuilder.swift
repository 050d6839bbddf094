import Foundation
import Mustache

/// Markup Weft wrote itself (a chart from `SVGBuilder`): the only value a dashboard template
/// inserts unescaped, with `{{{chart}}}`. In `{{…}}` it would be escaped like any text.
struct Markup: MustacheCustomRenderable, Sendable {
    fileprivate(set) var html: String
    var renderText: String { html }
    var isNull: Bool { html.isEmpty }
}

/// A value of an SVG attribute. Text is always escaped; numbers are written as coordinates.
protocol SVGAttributeValue {
    func write(to out: inout String)
}

extension String: SVGAttributeValue {
    func write(to out: inout String) { out += escapeHTML(self) }
}

extension Double: SVGAttributeValue {
    func write(to out: inout String) { out += coordinate(self) }
}

extension Int: SVGAttributeValue {
    func write(to out: inout String) { out += String(self) }
}

/// Writes SVG where nothing a tenant controls can become markup: element and attribute names
/// are compile-time constants (`StaticString`), and every attribute value and text node goes
/// through `escapeHTML`. The charts are built with this, not with string interpolation.
struct SVGBuilder {
    private var out = ""

    init(reserving capacity: Int = 4096) { out.reserveCapacity(capacity) }

    /// The finished markup.
    var markup: Markup { Markup(html: out) }

    /// `<svg …>` with the chart's class, size and accessible title, then `body`, then `</svg>`.
    static func chart(class name: String, width: Double, height: Double, title: String, reserving capacity: Int = 4096,
                      body: (inout SVGBuilder) -> Void) -> Markup {
        var svg = SVGBuilder(reserving: capacity)
        svg.element("svg", ["xmlns": "http://www.w3.org/2000/svg", "class": "chart \(name)", "role": "img", "width": width, "height": height,
                            "viewBox": "0 0 \(coordinate(width)) \(coordinate(height))", "font-family": "system-ui, sans-serif"]) { svg in
            svg.title(title)
            body(&svg)
        }
        return svg.markup
    }

    /// `<name a="v"…>`, the children `body` writes, `</name>`.
    mutating func element(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, any SVGAttributeValue> = [:],
                          body: (inout SVGBuilder) -> Void) {
        open(name, attributes)
        body(&self)
        close(name)
    }

    /// An element without children but an optional hover title: `<rect …/>` or
    /// `<rect …><title>…</title></rect>`.
    mutating func element(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, any SVGAttributeValue>, title: String? = nil) {
        guard let title else {
            start(name, attributes)
            out += "/>"
            return
        }
        open(name, attributes)
        self.title(title)
        close(name)
    }

    /// `<text …>` with an optional hover title, then the escaped content.
    mutating func text(_ content: String, _ attributes: KeyValuePairs<StaticString, any SVGAttributeValue>, title: String? = nil) {
        open("text", attributes)
        if let title { self.title(title) }
        out += escapeHTML(content)
        close("text")
    }

    /// `<title>…</title>`: the hover text of the enclosing element.
    mutating func title(_ content: String) {
        out += "<title>"
        out += escapeHTML(content)
        out += "</title>"
    }

    private mutating func start(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, any SVGAttributeValue>) {
        out += "<"
        out += name.description
        for (key, value) in attributes {
            out += " "
            out += key.description
            out += "=\""
            value.write(to: &out)
            out += "\""
        }
    }

    private mutating func open(_ name: StaticString, _ attributes: KeyValuePairs<StaticString, any SVGAttributeValue>) {
        start(name, attributes)
        out += ">"
    }

    private mutating func close(_ name: StaticString) {
        out += "</"
        out += name.description
        out += ">"
    }
}

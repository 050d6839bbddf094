import Foundation
import NIOHTTP1
import WeftHTTP

/// The dashboard's page shell: one self-contained HTML document per page, with inline CSS
/// and inline SVG, no script and nothing fetched from anywhere else.
enum DashboardHTML {
    /// The pages in the navigation bar: (path, label).
    static let navigation: [(path: String, label: String)] = [
        ("/dashboard", "Utilisation"), ("/dashboard/orders", "Order plan"),
        ("/dashboard/unserved", "Unserved"), ("/dashboard/batches", "Batches"), ("/dashboard/runs", "Runs"),
    ]

    /// What browsers may do with a dashboard page: inline styles and `data:` images only,
    /// forms posting back to Weft, no framing, nothing cached, no referrer leaving.
    static let securityHeaders: HTTPHeaders = [
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    ]

    /// A whole document: `template` (a page in Resources/Templates, extending `layout`)
    /// rendered with `view` as its `page`. `current` marks the page in the navigation; nil
    /// hides the navigation (the sign-in page). Every value is escaped by the template.
    static func document(_ template: String, title: String, current: String?, view: Any) -> String {
        let frame = Frame(title: title, signedIn: current != nil,
                          navigation: current == nil ? [] : navigation.map { Frame.Link(path: $0.path, label: $0.label, current: $0.path == current) },
                          page: view)
        return DashboardTemplates.render(frame, template)
    }

    /// What the layout reads.
    struct Frame {
        struct Link { var path: String; var label: String; var current: Bool }
        var title: String
        var signedIn: Bool
        var navigation: [Link]
        var page: Any
    }

    /// An HTML response with the dashboard's security headers.
    static func response(_ html: String, status: HTTPResponseStatus = .ok) -> Response {
        var response = Response.text(html, status: status, contentType: "text/html; charset=utf-8")
        response.headers.add(contentsOf: securityHeaders)
        return response
    }

    /// 303 See Other: after a form post, or to the sign-in page.
    static func redirect(to location: String, headers: HTTPHeaders = [:]) -> Response {
        var response = Response(status: .seeOther, headers: headers)
        response.headers.add(name: "Location", value: location)
        response.headers.add(contentsOf: securityHeaders)
        return response
    }

    /// A page for a refused request (bad parameter, missing order), keeping the navigation.
    static func errorPage(_ error: HTTPError, current: String) -> Response {
        struct View {
            struct Problem { var field: String; var message: String }
            var heading: String, detail: String, hasErrors: Bool, errors: [Problem], back: String
        }
        let view = View(heading: error.title, detail: error.detail, hasErrors: !error.errors.isEmpty,
                        errors: error.errors.map { View.Problem(field: $0.field, message: $0.message) }, back: current)
        return response(document("error", title: error.title, current: current, view: view), status: error.status)
    }

    /// A figure tile, for the `tiles` partial.
    struct Tile {
        var value: String
        var label: String
        init(_ value: String, _ label: String) { self.value = value; self.label = label }
    }
}

import Foundation
import NIOHTTP1
import WeftHTTP

/// The dashboard's page shell: one self-contained HTML document per page, with inline CSS
/// and inline SVG, no script and nothing fetched from anywhere else.
enum DashboardHTML {
    /// The pages in the navigation bar: (path, label).
    static let navigation: [(path: String, label: String)] = [
        ("/dashboard", "Utilisation"), ("/dashboard/orders", "Order plan"),
        ("/dashboard/unserved", "Unserved"), ("/dashboard/runs", "Runs"),
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

    static let style = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f9fafb; }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #111827; color: #f9fafb; }
        header .brand { font-weight: 700; font-size: 17px; letter-spacing: .02em; }
        header nav { display: flex; gap: 4px; flex: 1; }
        header nav a { color: #d1d5db; text-decoration: none; padding: 6px 12px; border-radius: 6px; }
        header nav a.current, header nav a:hover { background: #374151; color: #ffffff; }
        header form { margin: 0; }
        header button { background: transparent; color: #d1d5db; border: 1px solid #4b5563; border-radius: 6px; padding: 5px 10px; cursor: pointer; }
        main { padding: 20px 24px 40px; }
        h1 { font-size: 21px; margin: 0 0 4px; }
        h2 { font-size: 16px; margin: 28px 0 8px; }
        p.lead { color: #4b5563; margin: 0 0 16px; }
        .tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 18px; }
        .tile { background: #ffffff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 16px; min-width: 150px; }
        .tile .value { font-size: 22px; font-weight: 700; }
        .tile .label { color: #6b7280; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .panel { background: #ffffff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px; overflow-x: auto; }
        form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 0 0 14px; }
        form.filters label { display: flex; flex-direction: column; font-size: 12px; color: #4b5563; gap: 3px; }
        input, select { font: inherit; padding: 5px 8px; border: 1px solid #d1d5db; border-radius: 6px; background: #ffffff; }
        button.primary { font: inherit; background: #2563eb; color: #ffffff; border: 0; border-radius: 6px; padding: 7px 16px; cursor: pointer; }
        table { border-collapse: collapse; width: 100%; background: #ffffff; font-size: 13px; }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        th { background: #f3f4f6; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .empty { padding: 28px; text-align: center; color: #4b5563; background: #ffffff; border: 1px dashed #d1d5db; border-radius: 8px; }
        .error { color: #991b1b; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: 8px 12px; }
        .status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e5e7eb; }
        .status.scheduled { background: #dcfce7; } .status.partial { background: #fef3c7; } .status.unscheduled { background: #fee2e2; }
        .login { max-width: 420px; margin: 10vh auto; background: #ffffff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 28px; }
        .login input { width: 100%; margin: 6px 0 14px; }
        code { font-size: 12px; background: #f3f4f6; padding: 1px 4px; border-radius: 4px; }
        a { color: #1d4ed8; }
        """

    /// A whole document. `current` marks the page in the navigation; nil hides navigation
    /// (the sign-in page).
    static func document(title: String, current: String?, body: String) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<link rel=\"icon\" href=\"data:,\"><title>\(escapeHTML(title)) · Weft</title><style>\(style)</style></head><body>"
        out += "<header><span class=\"brand\">Weft</span>"
        if let current {
            out += "<nav>"
            for item in navigation {
                out += "<a href=\"\(item.path)\"\(item.path == current ? " class=\"current\" aria-current=\"page\"" : "")>\(item.label)</a>"
            }
            out += "</nav><form method=\"post\" action=\"/dashboard/logout\"><button type=\"submit\">Sign out</button></form>"
        }
        out += "</header><main>\(body)</main></body></html>\n"
        return out
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
        var body = "<h1>\(escapeHTML(error.title))</h1><p class=\"error\">\(escapeHTML(error.detail))</p>"
        if !error.errors.isEmpty {
            body += "<ul>" + error.errors.map { "<li><code>\(escapeHTML($0.field))</code> \(escapeHTML($0.message))</li>" }.joined() + "</ul>"
        }
        body += "<p><a href=\"\(current)\">Back</a></p>"
        return response(document(title: error.title, current: current, body: body), status: error.status)
    }

    /// A figure tile.
    static func tile(_ value: String, _ label: String) -> String {
        "<div class=\"tile\"><div class=\"value\">\(escapeHTML(value))</div><div class=\"label\">\(escapeHTML(label))</div></div>"
    }
}

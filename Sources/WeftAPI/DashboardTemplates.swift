import Foundation
import Mustache

/// The dashboard's Mustache templates (Resources/Templates/*.mustache), parsed once.
///
/// Mustache escapes every `{{value}}` for HTML; the templates insert unescaped only
/// `{{{chart}}}`, a `Markup` that only `SVGBuilder` can make (a test holds them to that).
enum DashboardTemplates {
    /// The folder the templates were copied to as package resources.
    static var folder: URL? { Bundle.module.url(forResource: "Templates", withExtension: nil) }

    /// Every template by name (file name less `.mustache`).
    static let library: MustacheLibrary = {
        guard let folder else { preconditionFailure("the dashboard templates are missing from the WeftAPI resources") }
        var library = MustacheLibrary()
        for (name, text) in sources(in: folder) {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("dashboard template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    /// The template files' text by name.
    static func sources(in folder: URL) -> [(name: String, text: String)] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "mustache" }.sorted { $0.lastPathComponent < $1.lastPathComponent }.compactMap { file in
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
            return (file.deletingPathExtension().lastPathComponent, text)
        }
    }

    static func render(_ object: Any, _ template: String) -> String {
        guard let html = library.render(object, withTemplate: template) else {
            preconditionFailure("no dashboard template named \(template)")
        }
        return html
    }
}

import CRefdeskXML2

/// libxml2 keeps thread-unsafe global tables that must be set up once before any parser exists.
private let libxml2Initialized: Bool = {
    xmlInitParser()
    return true
}()

/// The mutable state behind `XMPPStreamParser`, reached from libxml2's C callbacks through
/// `Unmanaged` user data (C callbacks cannot capture context).
///
/// The SAX handler is all-zero apart from the element, text and error callbacks that build
/// stanzas, plus four callbacks whose only job is to stop the parser when the peer sends a DTD,
/// an entity declaration, a processing instruction or a comment. Nothing builds a document.
final class StreamParserCore {
    private let limits: XMPPStreamLimits
    private var context: xmlParserCtxtPtr?
    private var validator = UTF8Validator()
    private(set) var failure: XMPPStreamError?
    private var events: [XMPPStreamEvent] = []
    /// Open elements of the stanza being received; empty between stanzas.
    private var stack: [XMLElement] = []
    /// Character data for the innermost open element, kept as bytes until a tag ends it so a
    /// multi-byte character split across callbacks is decoded whole.
    private var pendingText: [UInt8] = []
    private var streamOpened = false
    private var streamClosed = false
    /// Bytes handed to libxml2 so far.
    private var bytesFed = 0
    /// The stream offset libxml2 had consumed the last time no stanza was open.
    private var idleOffset = 0

    /// Bytes handed to libxml2 at a time, so the size limit is checked at least this often.
    private static let sliceSize = 4096

    init(limits: XMPPStreamLimits) {
        self.limits = limits
        _ = libxml2Initialized
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = { userData, localName, prefix, uri, _, _, attributeCount, _, attributes in
            StreamParserCore.from(userData)?.startElement(
                localName: localName, uri: uri, attributeCount: Int(attributeCount), attributes: attributes)
        }
        handler.endElementNs = { userData, _, _, _ in
            StreamParserCore.from(userData)?.endElement()
        }
        handler.characters = { userData, characters, length in
            StreamParserCore.from(userData)?.characters(characters, length: Int(length))
        }
        handler.serror = { userData, error in
            StreamParserCore.from(userData)?.libxmlError(error)
        }
        handler.internalSubset = { userData, name, _, _ in
            StreamParserCore.from(userData)?.refuse(.documentTypeDeclaration(name: StreamParserCore.string(name)))
        }
        handler.entityDecl = { userData, name, _, _, _, _ in
            StreamParserCore.from(userData)?.refuse(.entityDeclaration(name: StreamParserCore.string(name)))
        }
        handler.processingInstruction = { userData, target, _ in
            StreamParserCore.from(userData)?.refuse(.processingInstruction(target: StreamParserCore.string(target)))
        }
        handler.comment = { userData, _ in
            StreamParserCore.from(userData)?.refuse(.comment)
        }
        let userData = Unmanaged.passUnretained(self).toOpaque()
        context = xmlCreatePushParserCtxt(&handler, userData, nil, 0, nil)
        if let context {
            // NONET: never fetch anything. IGNORE_ENC: the bytes are UTF-8 whatever the XML
            // declaration claims (and the validator has made sure). Never NOENT.
            xmlCtxtUseOptions(context, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_IGNORE_ENC.rawValue))
            xmlSwitchEncoding(context, XML_CHAR_ENCODING_UTF8)
        }
    }

    deinit {
        if let context {
            xmlFreeParserCtxt(context)
        }
    }

    var pendingByteCount: Int { bytesFed - idleOffset }

    func feed(_ bytes: [UInt8]) throws(XMPPStreamError) -> [XMPPStreamEvent] {
        if let failure { throw failure }
        guard !bytes.isEmpty else { return [] }
        if streamClosed { throw fail(.dataAfterStreamClose) }
        if let offset = validator.validate(bytes) { throw fail(.invalidUTF8(offset: offset)) }
        guard let context else {
            throw fail(.malformedXML(code: -1, line: 0, column: 0, message: "libxml2 could not create a parser context"))
        }
        refdesk_xml_silence_generic_errors()
        var start = 0
        while start < bytes.count {
            let end = min(start + Self.sliceSize, bytes.count)
            let status = bytes[start..<end].withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    xmlParseChunk(context, chars.baseAddress, Int32(chars.count), 0)
                }
            }
            bytesFed += end - start
            start = end
            if let failure { throw failure }
            if status != 0 {
                throw fail(.malformedXML(code: Int(status), line: 0, column: 0, message: "libxml2 stopped parsing"))
            }
            if streamClosed && start < bytes.count { throw fail(.dataAfterStreamClose) }
            if stack.isEmpty { idleOffset = consumedOffset() }
            if pendingByteCount > limits.maximumStanzaBytes {
                throw fail(.stanzaTooLarge(limit: limits.maximumStanzaBytes))
            }
        }
        let completed = events
        events.removeAll(keepingCapacity: true)
        return completed
    }

    // MARK: - Callbacks

    private func startElement(
        localName: UnsafePointer<xmlChar>?,
        uri: UnsafePointer<xmlChar>?,
        attributeCount: Int,
        attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) {
        let name = Self.string(localName)
        let namespace = Self.string(uri)
        var values: [String: String] = [:]
        if let attributes {
            for index in 0..<attributeCount {
                let base = attributes + index * 5
                let local = Self.string(base[0])
                let attributeNamespace = Self.string(base[2])
                guard let valueStart = base[3], let valueEnd = base[4] else { continue }
                let value = Self.attributeValue(UnsafeBufferPointer(start: valueStart, count: valueEnd - valueStart))
                let key: String
                switch attributeNamespace {
                case "": key = local
                case XMPPNamespace.xml: key = "xml:" + local
                default: key = "{" + attributeNamespace + "}" + local
                }
                values[key] = value
            }
        }
        guard streamOpened else {
            guard name == "stream", namespace == XMPPNamespace.streams else {
                refuse(.unexpectedStreamRoot(name: name, namespace: namespace))
                return
            }
            streamOpened = true
            events.append(.streamOpened(attributes: values))
            idleOffset = consumedOffset()
            return
        }
        guard stack.count < limits.maximumDepth else {
            refuse(.nestingTooDeep(limit: limits.maximumDepth))
            return
        }
        flushText()
        stack.append(XMLElement(name: name, namespace: namespace, attributes: values))
    }

    private func endElement() {
        guard !stack.isEmpty else {
            streamClosed = true
            events.append(.streamClosed)
            return
        }
        flushText()
        let element = stack.removeLast()
        if stack.isEmpty {
            // A stanza that arrived within one slice is measured here, once it is complete.
            let end = consumedOffset()
            guard end - idleOffset <= limits.maximumStanzaBytes else {
                refuse(.stanzaTooLarge(limit: limits.maximumStanzaBytes))
                return
            }
            events.append(.stanza(element))
            idleOffset = end
        } else {
            stack[stack.count - 1].append(element)
        }
    }

    private func characters(_ characters: UnsafePointer<xmlChar>?, length: Int) {
        guard let characters, length > 0 else { return }
        let buffer = UnsafeBufferPointer(start: characters, count: length)
        if stack.isEmpty {
            // Between stanzas only whitespace (keepalives) is acceptable.
            if buffer.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) {
                refuse(.textOutsideStanza)
            }
            return
        }
        pendingText.append(contentsOf: buffer)
    }

    private func libxmlError(_ error: xmlErrorPtr?) {
        guard let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        let code = Int(error.pointee.code)
        let message = Self.string(error.pointee.message).trimmingWhitespace()
        let entityCodes = [XML_ERR_UNDECLARED_ENTITY, XML_WAR_UNDECLARED_ENTITY, XML_ERR_UNPARSED_ENTITY,
                           XML_ERR_ENTITY_IS_EXTERNAL, XML_ERR_ENTITY_IS_PARAMETER, XML_ERR_ENTITY_LOOP]
        if entityCodes.contains(where: { Int($0.rawValue) == code }) {
            refuse(.undeclaredEntity(message: message))
        } else {
            refuse(.malformedXML(code: code, line: Int(error.pointee.line), column: Int(error.pointee.int2), message: message))
        }
    }

    /// Records the first failure and halts libxml2 so it delivers nothing more.
    private func refuse(_ error: XMPPStreamError) {
        if failure == nil { failure = error }
        if let context { xmlStopParser(context) }
    }

    /// Records a failure found outside a callback and returns the error to throw.
    private func fail(_ error: XMPPStreamError) -> XMPPStreamError {
        refuse(error)
        return failure ?? error
    }

    // MARK: - Helpers

    private func flushText() {
        guard !pendingText.isEmpty, !stack.isEmpty else { return }
        stack[stack.count - 1].append(text: String(decoding: pendingText, as: UTF8.self))
        pendingText.removeAll(keepingCapacity: true)
    }

    /// Without entity substitution (which must stay off), libxml2 hands every `&` in an attribute
    /// value back as the character reference `&#38;`. A bare `&` cannot occur in a well-formed
    /// value, so each `&#38;` stands for exactly one `&`.
    private static func attributeValue(_ bytes: UnsafeBufferPointer<xmlChar>) -> String {
        let value = String(decoding: bytes, as: UTF8.self)
        guard bytes.contains(UInt8(ascii: "&")) else { return value }
        return value.replacing("&#38;", with: "&")
    }

    private func consumedOffset() -> Int {
        guard let context else { return bytesFed }
        let consumed = Int(xmlByteConsumed(context))
        return consumed >= 0 ? consumed : bytesFed
    }

    private static func from(_ userData: UnsafeMutableRawPointer?) -> StreamParserCore? {
        guard let userData else { return nil }
        return Unmanaged<StreamParserCore>.fromOpaque(userData).takeUnretainedValue()
    }

    fileprivate static func string(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    fileprivate static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }
}

extension String {
    /// Drops the trailing newline libxml2 puts on its messages (and any surrounding blanks).
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

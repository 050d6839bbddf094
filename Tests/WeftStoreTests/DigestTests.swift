import Testing
import WeftStore

@Suite("SHA-256, random bytes and hex")
struct DigestTests {
    @Test func sha256AndHexMatchKnownVectors() {
        // FIPS 180-2's "abc" and the empty message.
        #expect(lowercaseHex(sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(lowercaseHex(sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(lowercaseHex([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
        #expect(lowercaseHex([UInt8]()) == "")
        #expect(Bytes([0xde, 0xad]).postgresText == "\\xdead")
    }

    @Test func randomBytesHaveTheAskedLengthAndDiffer() throws {
        let a = try #require(secureRandomBytes(32))
        let b = try #require(secureRandomBytes(32))
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
    }

    @Test func constantTimeEqualsComparesWholeDigests() {
        let digest = sha256(Array("key".utf8))
        #expect(constantTimeEquals(digest, digest))
        #expect(!constantTimeEquals(digest, sha256(Array("kez".utf8))))
        #expect(!constantTimeEquals(digest, Array(digest.dropLast())))
        #expect(constantTimeEquals([], []))
    }
}

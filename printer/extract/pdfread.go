package extract

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// ErrNoPayload means a file carries no (or an ambiguous) signed payload or
// content: it is not an extract as issued by Render.
var ErrNoPayload = errors.New("no extract payload in the file")

// maxEmbedded bounds an attachment's decompressed size when reading a file.
const maxEmbedded = 1 << 20

var embeddedRe = regexp.MustCompile(`/Type /EmbeddedFile /Length (\d+) /Filter /FlateDecode[^\n]*\n+stream\n`)

// embeddedFiles returns the decompressed contents of the embedded files of a
// PDF written by Render (gofpdf's layout: one Flate stream per attachment).
// It is not a general PDF parser: a file rewritten by another program may
// not be readable here, and then its QR code is the way to check it.
func embeddedFiles(pdf []byte) ([][]byte, error) {
	var out [][]byte
	for _, m := range embeddedRe.FindAllSubmatchIndex(pdf, -1) {
		n, err := strconv.Atoi(string(pdf[m[2]:m[3]]))
		if err != nil || n < 0 || m[1]+n > len(pdf) {
			return nil, fmt.Errorf("%w: bad embedded file length", ErrNoPayload)
		}
		zr, err := zlib.NewReader(bytes.NewReader(pdf[m[1] : m[1]+n]))
		if err != nil {
			return nil, fmt.Errorf("%w: embedded file: %w", ErrNoPayload, err)
		}
		b, err := io.ReadAll(io.LimitReader(zr, maxEmbedded+1))
		if err == nil {
			err = zr.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("%w: embedded file: %w", ErrNoPayload, err)
		}
		if len(b) > maxEmbedded {
			return nil, fmt.Errorf("%w: embedded file larger than %d bytes", ErrNoPayload, maxEmbedded)
		}
		out = append(out, b)
	}
	return out, nil
}

// FilePayload returns the signed payload and the canonical content that
// Render embedded in a PDF. Exactly one of each must be present.
func FilePayload(pdf []byte) (payload string, canonical []byte, err error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return "", nil, fmt.Errorf("%w: not a PDF", ErrNoPayload)
	}
	if !bytes.HasSuffix(bytes.TrimRight(pdf, "\r\n"), []byte("%%EOF")) {
		return "", nil, fmt.Errorf("%w: the file is truncated (no %%%%EOF at the end)", ErrNoPayload)
	}
	files, err := embeddedFiles(pdf)
	if err != nil {
		return "", nil, err
	}
	var payloads []string
	var contents [][]byte
	for _, b := range files {
		switch {
		case bytes.HasPrefix(b, []byte("CPX")):
			payloads = append(payloads, string(b))
		case bytes.HasPrefix(b, []byte(`{"v":`)):
			contents = append(contents, b)
		}
	}
	if len(payloads) != 1 || len(contents) != 1 {
		return "", nil, fmt.Errorf("%w: found %d payloads and %d contents, want one of each",
			ErrNoPayload, len(payloads), len(contents))
	}
	return payloads[0], contents[0], nil
}

// VerifyPDF checks an extract file: the embedded payload must verify against
// anchors (see Verify), the embedded content must hash to the signed content
// hash and name the same document, and the Keywords copy of the payload, if
// any, must be the same payload. It returns the facts and the content.
//
// What is checked is the signed content carried in the file. The visible
// page is a rendering of it: a verifier shows the facts and the content so a
// person can compare them with the paper.
func VerifyPDF(pdf []byte, anchors Anchors) (Facts, *Extract, error) {
	payload, canon, err := FilePayload(pdf)
	if err != nil {
		return Facts{}, nil, fmt.Errorf("verify file: %w", err)
	}
	if kw := keywords(pdf); strings.HasPrefix(kw, "CPX") && kw != payload {
		return Facts{}, nil, fmt.Errorf("verify file: %w: the Keywords payload differs from the embedded one", ErrNoPayload)
	}
	facts, err := Verify(payload, anchors)
	if err != nil {
		return facts, nil, fmt.Errorf("verify file: %w", err)
	}
	if got := sha256.Sum256(canon); fmt.Sprintf("%x", got) != facts.ContentSHA256 {
		return facts, nil, fmt.Errorf("verify file: %w: embedded content hashes to %x, signed %s", ErrContent, got, facts.ContentSHA256)
	}
	e, err := ParseCanonical(canon)
	if err != nil {
		return facts, nil, fmt.Errorf("verify file: %w: %w", ErrContent, err)
	}
	if e.DocumentID != facts.DocumentID || e.Number != facts.Number || !e.IssuedAt.Equal(facts.IssuedAt) {
		return facts, nil, fmt.Errorf("verify file: %w: content names another document", ErrContent)
	}
	return facts, e, nil
}

var keywordsRe = regexp.MustCompile(`/Keywords \(([ -'*-\[\]-~]*)\)`)

// keywords returns the Keywords entry when it is a plain ASCII literal string
// (as Render writes it), else "".
func keywords(pdf []byte) string {
	m := keywordsRe.FindAllSubmatch(pdf, -1)
	if len(m) != 1 {
		return ""
	}
	return string(m[0][1])
}

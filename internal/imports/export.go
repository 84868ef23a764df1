package imports

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ExportOptions say what to export.
type ExportOptions struct {
	// Group is the code of the banking group; empty when the database holds one.
	Group string
	// FactsFrom is the first month of facts to write; zero: every month.
	FactsFrom time.Time
}

// ExportCounts is how many rows each file got.
type ExportCounts map[Kind]int64

// ExportDir writes the whole feed of a banking group into dir, one file per
// kind, in the format Import reads: importing it into a database with the
// same reference data gives back the same data, and exporting that gives the
// same files.
func ExportDir(ctx context.Context, pool *pgxpool.Pool, dir string, opts ExportOptions) (ExportCounts, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return Export(ctx, pool, func(name string) (io.WriteCloser, error) {
		return os.Create(filepath.Join(dir, name))
	}, opts)
}

// Export writes the feed through create, which is called once per file with
// its name (e.g. clients.csv), so that the caller can write files, a zip or
// an HTTP response. The export reads one snapshot of the database.
func Export(ctx context.Context, pool *pgxpool.Pool, create func(name string) (io.WriteCloser, error), opts ExportOptions) (ExportCounts, error) {
	counts := ExportCounts{}
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL work_mem = '256MB'`); err != nil {
			return fmt.Errorf("session settings: %w", err)
		}
		var ids []int16
		rows, err := tx.Query(ctx, queries.Get("groups"), opts.Group)
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[int16])
		}
		if err != nil {
			return fmt.Errorf("find banking group: %w", err)
		}
		if len(ids) != 1 {
			if opts.Group != "" {
				return fmt.Errorf("no banking group has the code %q", opts.Group)
			}
			return fmt.Errorf("the database holds %d banking groups; name one", len(ids))
		}
		group := ids[0]
		from := "1900-01-01"
		if !opts.FactsFrom.IsZero() {
			from = opts.FactsFrom.Format("2006-01") + "-01"
		}
		for _, k := range Kinds {
			n, err := exportKind(ctx, tx, k, group, from, create)
			if err != nil {
				return fmt.Errorf("export %s: %w", k.FileName(), err)
			}
			counts[k] = n
		}
		return nil
	})
	return counts, err
}

func exportKind(ctx context.Context, tx pgx.Tx, k Kind, group int16, from string, create func(string) (io.WriteCloser, error)) (n int64, err error) {
	f, err := create(k.FileName())
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if k == Facts {
		n, err = exportFacts(ctx, tx, group, from, w)
	} else {
		sql := fmt.Sprintf(exports.Get("export-"+string(k)), group)
		var tag interface{ RowsAffected() int64 }
		tag, err = tx.Conn().PgConn().CopyTo(ctx, w, sql)
		if err == nil {
			n = tag.RowsAffected()
		}
	}
	if err != nil {
		return n, err
	}
	return n, w.Flush()
}

// exportFacts turns the database's rows of facts into the feed's: money as
// decimals of the bank's currency, income as PRODUCT=amount pairs.
func exportFacts(ctx context.Context, tx pgx.Tx, group int16, from string, w *bufio.Writer) (int64, error) {
	digits := map[string]int{}
	rows, err := tx.Query(ctx, exports.Get("export-bank-digits"), group)
	if err != nil {
		return 0, err
	}
	var code string
	var d int
	if _, err := pgx.ForEachRow(rows, []any{&code, &d}, func() error { digits[code] = d; return nil }); err != nil {
		return 0, err
	}
	products := map[int64]string{}
	rows, err = tx.Query(ctx, exports.Get("export-product-ids"), group)
	if err != nil {
		return 0, err
	}
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &code}, func() error { products[id] = code; return nil }); err != nil {
		return 0, err
	}
	if _, err := w.WriteString(strings.ReplaceAll(columnList(Facts), ", ", ",") + "\n"); err != nil {
		return 0, err
	}
	ft := &factWriter{w: w, digits: digits, products: products}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- ft.transform(pr)
		pr.Close()
	}()
	tag, err := tx.Conn().PgConn().CopyTo(ctx, pw, fmt.Sprintf(exports.Get("export-facts"), group, from))
	pw.Close()
	terr := <-done
	if err != nil {
		return 0, err
	}
	if terr != nil {
		return 0, terr
	}
	return tag.RowsAffected(), nil
}

type factWriter struct {
	w        *bufio.Writer
	digits   map[string]int
	products map[int64]string
	out      []byte
}

// transform reads COPY text lines (bank, ref, month, tx_count, turnover,
// avg_balance, product_ids, product_income) and writes CSV lines.
func (t *factWriter) transform(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var f [8][]byte
	for sc.Scan() {
		line := sc.Bytes()
		for i := 0; i < 7; i++ {
			j := bytes.IndexByte(line, '\t')
			if j < 0 {
				return fmt.Errorf("unexpected fact line %q", sc.Text())
			}
			f[i], line = line[:j], line[j+1:]
		}
		f[7] = line
		digits := t.digits[string(f[0])]
		b := t.out[:0]
		b = appendCSV(b, f[0])
		b = append(b, ',')
		b = appendCSV(b, f[1])
		b = append(b, ',')
		b = append(b, f[2][:7]...) // YYYY-MM of YYYY-MM-DD
		b = append(b, ',')
		b = append(b, f[3]...)
		for _, money := range [][]byte{f[4], f[5]} {
			v, err := strconv.ParseInt(string(money), 10, 64)
			if err != nil {
				return fmt.Errorf("fact amount %q: %w", money, err)
			}
			b = append(b, ',')
			b = appendMoney(b, v, digits)
		}
		b = append(b, ',')
		ids, amounts := splitArray(f[6]), splitArray(f[7])
		if len(ids) != len(amounts) {
			return errors.New("fact arrays of different lengths")
		}
		for i := range ids {
			pid, err := strconv.ParseInt(string(ids[i]), 10, 64)
			if err != nil {
				return fmt.Errorf("fact product id %q: %w", ids[i], err)
			}
			a, err := strconv.ParseInt(string(amounts[i]), 10, 64)
			if err != nil {
				return fmt.Errorf("fact income %q: %w", amounts[i], err)
			}
			if i > 0 {
				b = append(b, ';')
			}
			b = append(b, t.products[pid]...)
			b = append(b, '=')
			b = appendMoney(b, a, digits)
		}
		b = append(b, '\n')
		t.out = b
		if _, err := t.w.Write(b); err != nil {
			return err
		}
	}
	return sc.Err()
}

// splitArray splits a one-dimensional integer array in PostgreSQL's text form.
func splitArray(s []byte) [][]byte {
	s = bytes.TrimSuffix(bytes.TrimPrefix(s, []byte("{")), []byte("}"))
	if len(s) == 0 {
		return nil
	}
	return bytes.Split(s, []byte(","))
}

// appendCSV writes a value, quoted when it needs to be.
func appendCSV(b, v []byte) []byte {
	if bytes.ContainsAny(v, ",\"\r\n") || (len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ')) {
		b = append(b, '"')
		b = append(b, bytes.ReplaceAll(v, []byte(`"`), []byte(`""`))...)
		return append(b, '"')
	}
	return append(b, v...)
}

package gnucash

import "database/sql"

// KVP slot types of GnuCash's slots table (KvpValue::Type).
const (
	slotInt64  = 1
	slotString = 4
	slotGUID   = 5
	slotTime64 = 6
	slotFrame  = 9
	slotGDate  = 10
)

// slot is one row of the slots table. A name with a slash ("gncInvoice/invoice-guid") lives in a
// frame: a slotFrame row named "gncInvoice" on the object, whose guid is the obj of the child row.
type slot struct {
	obj, name string
	typ       int
	i64       int64
	str       string // slotString
	guid      string // slotGUID, slotFrame
	time      string // slotTime64, "YYYY-MM-DD HH:MM:SS"
	gdate     string // slotGDate, "YYYYMMDD"
}

// insertSlot writes one slot row with the column values GnuCash 4.13 writes for unused columns
// (int64 0, timespec at the epoch, numeric 0/1, others NULL).
func insertSlot(tx *sql.Tx, s slot) error {
	var str, guid, gdate any
	ts := noDate
	switch s.typ {
	case slotString:
		str = s.str
	case slotGUID, slotFrame:
		guid = s.guid
	case slotTime64:
		ts = s.time
	case slotGDate:
		gdate = s.gdate
	}
	_, err := tx.Exec(`INSERT INTO slots (obj_guid, name, slot_type, int64_val, string_val, double_val,
		timespec_val, guid_val, numeric_val_num, numeric_val_denom, gdate_val)
		VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 0, 1, ?)`, s.obj, s.name, s.typ, s.i64, str, ts, guid, gdate)
	return err
}

// insertFramed writes a slot named frame/leaf on obj, with its frame.
func insertFramed(tx *sql.Tx, obj, frame string, leaf slot) error {
	f := newGUID()
	if err := insertSlot(tx, slot{obj: obj, name: frame, typ: slotFrame, guid: f}); err != nil {
		return err
	}
	leaf.obj = f
	return insertSlot(tx, leaf)
}

// framedObject returns the object that holds the slot frame/leaf with a string value, "" when
// none does.
func framedObject(q interface {
	QueryRow(string, ...any) *sql.Row
}, frame, name, value string) (string, error) {
	var obj string
	err := q.QueryRow(`SELECT f.obj_guid FROM slots f JOIN slots c ON c.obj_guid = f.guid_val
		WHERE f.name = ? AND f.slot_type = ? AND c.name = ? AND c.string_val = ? LIMIT 1`,
		frame, slotFrame, name, value).Scan(&obj)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return obj, err
}

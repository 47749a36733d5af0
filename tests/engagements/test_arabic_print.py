"""Arabic joined and laid out for the PDF brief: each letter in the form its neighbours call for."""

from binational.engagements.arabic_print import lines, shape


def test_letters_take_the_form_their_neighbours_call_for():
    # alef isolated, lam initial, waw final, lam-alef isolated, ya initial, alef final, ta isolated (alef
    # never joins the letter after it)
    assert shape("الولايات") == "\ufe8d\ufedf\ufeee\ufefb\ufef3\ufe8e\ufe95"
    assert shape("من") == "\ufee3\ufee6"  # meem initial, noon final
    assert shape("بلا") == "\ufe91\ufefc"  # ba initial, lam-alef final
    assert shape("تَعْزِيز") == shape("تعزيز")  # diacritics left out


def test_lines_read_right_to_left_with_latin_runs_kept():
    laid = lines("مكالمة مع Landau في 2025", 10_000, len)
    assert len(laid) == 1
    assert laid[0].startswith("2025") and "Landau" in laid[0]
    assert laid[0].endswith(shape("مكالمة")[::-1])
    many = lines(" ".join(["الحدود"] * 40), 60, len)
    assert len(many) > 1 and all(len(line) <= 60 for line in many)

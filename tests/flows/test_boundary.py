"""The border map's outlines: the two countries inside the map's box and the land border between them."""

from binational.flows.boundary import BOX, outlines


def test_the_outlines_hold_both_countries_and_the_border_from_gulf_to_pacific():
    features = {f["properties"]["country"]: f["geometry"] for f in outlines()["features"]}
    assert set(features) == {"US", "MX", "US-MX"}
    west, south, east, north = BOX
    for code in ("US", "MX"):
        points = [p for polygon in features[code]["coordinates"] for ring in polygon for p in ring]
        assert len(points) > 50 and all(west <= x <= east and south <= y <= north for x, y in points)
    border = [p for line in features["US-MX"]["coordinates"] for p in line]
    ends = sorted((border[0], border[-1]))
    # from the Pacific near Tijuana–San Diego to the Gulf at the mouth of the Rio Grande
    assert abs(ends[0][0] - -117.1) < 0.3 and abs(ends[0][1] - 32.5) < 0.3
    assert abs(ends[1][0] - -97.1) < 0.3 and abs(ends[1][1] - 25.9) < 0.3
    assert all(25.5 <= y <= 33 for _, y in border)

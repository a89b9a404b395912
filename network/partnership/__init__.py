"""Partnership health: how engaged each partner is (`engagement`), where contracting holds the work up
(`contracting`), the state's view network by network (`state`), self-assessment rounds (`assessments`,
with the `instruments` they use) and the ties between partners with the network map (`ties`). Its
pages are in `views/`, its forms in `forms.py`."""

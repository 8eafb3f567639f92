// Runs before the page is drawn: marks that scripts run, and applies a stored theme choice.
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var theme = localStorage.getItem("chrontainer-theme");
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
  } catch (e) {
    /* storage can be blocked; the system theme applies */
  }
})();

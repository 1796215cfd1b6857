"""News pages in languages the shared corpus lacks (zh, ar, de, fr, es), written for issue 16.

    .venv/bin/python bench/generate_languages.py OUT_DIR

Every sentence was written for this benchmark (no text copied from anywhere): three short
news articles per language, about different things, with nouns in several inflected forms.
`INFLECTIONS` lists, per stemmed language, a form that the article does NOT contain and a form
that it does: searching the first must find the article (a stem shared by both forms).
Pages are plain HTML (`<html lang>`, `<title>`, `<article>` paragraphs), so the benchmark runs
them through the real ingest: extraction, language detection, indexing.
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

# language -> [(title, [paragraphs])]
ARTICLES: dict[str, list[tuple[str, list[str]]]] = {
    "de": [
        (
            "Stadtrat beschließt neue Radwege",
            [
                "Der Stadtrat von Freiburg hat am Dienstag den Bau von zwölf neuen Radwegen beschlossen. Die Bürgermeisterin sprach von einem wichtigen Schritt für den Verkehr in der Innenstadt.",
                "Viele Anwohner hatten sich seit Jahren sicherere Wege für ihre Kinder gewünscht. Die Kosten der Bauarbeiten liegen nach Angaben der Verwaltung bei rund vier Millionen Euro.",
                "Ein Teil des Geldes kommt aus einem Förderprogramm des Landes. Die ersten Arbeiten sollen im kommenden Frühjahr beginnen, wenn das Wetter es erlaubt.",
            ],
        ),
        (
            "Hochwasser im Süden: Tausende Helfer im Einsatz",
            [
                "Nach tagelangen Regenfällen sind im Süden Bayerns mehrere Flüsse über die Ufer getreten. Tausende Helfer der Feuerwehr und des Technischen Hilfswerks waren in der Nacht im Einsatz.",
                "In einigen Dörfern mussten die Bewohner ihre Häuser verlassen und in Notunterkünften schlafen. Der Ministerpräsident besuchte am Morgen die betroffenen Gemeinden und versprach schnelle Hilfe.",
                "Meteorologen erwarten für das Wochenende eine leichte Entspannung der Lage. Die Schäden an Straßen und Brücken lassen sich noch nicht beziffern.",
            ],
        ),
        (
            "Neue Studie zu den Schlafgewohnheiten von Jugendlichen",
            [
                "Eine neue Studie der Universität Heidelberg zeigt, dass Jugendliche unter der Woche deutlich zu wenig schlafen. Die Forscher befragten mehr als zweitausend Schülerinnen und Schüler zwischen zwölf und achtzehn Jahren.",
                "Besonders häufig nutzen die Befragten ihr Smartphone noch spät am Abend im Bett. Die Autoren empfehlen den Schulen, den Unterricht am Morgen später beginnen zu lassen.",
                "Eltern sollten nach Ansicht der Wissenschaftler feste Zeiten für Bildschirme vereinbaren. Die Ergebnisse wurden in einer medizinischen Fachzeitschrift veröffentlicht.",
            ],
        ),
    ],
    "fr": [
        (
            "Grève des transports : la circulation perturbée à Paris",
            [
                "Une grève des conducteurs de métro et de bus a fortement perturbé la circulation à Paris ce jeudi. Les syndicats réclament une hausse des salaires et de meilleures conditions de travail.",
                "Selon la direction de la régie, seule une ligne sur trois fonctionnait normalement en début de matinée. De nombreux usagers ont choisi le vélo ou la marche pour se rendre au bureau.",
                "Le ministre des Transports a appelé les deux parties à reprendre rapidement les négociations. Un nouveau rassemblement est prévu lundi devant le siège de l'entreprise.",
            ],
        ),
        (
            "Les vendanges commencent plus tôt en Bourgogne",
            [
                "Les vignerons de Bourgogne ont commencé les vendanges avec près de deux semaines d'avance cette année. La chaleur exceptionnelle de l'été a accéléré la maturation des raisins.",
                "Les producteurs se disent satisfaits de la qualité, même si les volumes restent modestes. Dans plusieurs villages, des saisonniers venus de toute l'Europe travaillent dans les vignes depuis l'aube.",
                "Les experts craignent toutefois que le réchauffement climatique ne modifie durablement le goût des vins. Les premières bouteilles de ce millésime seront vendues au printemps.",
            ],
        ),
        (
            "Une exposition consacrée aux femmes peintres du dix-neuvième siècle",
            [
                "Le musée des Beaux-Arts de Lyon présente à partir de samedi une grande exposition consacrée aux femmes peintres du dix-neuvième siècle. Plus de cent tableaux, dont beaucoup n'avaient jamais été montrés au public, sont réunis dans les salles du premier étage.",
                "Les commissaires ont passé trois ans à rechercher ces œuvres dans des collections privées. Les visiteurs pourront découvrir des portraits, des paysages et des scènes de la vie quotidienne.",
                "L'entrée est gratuite pour les étudiants et les moins de dix-huit ans. L'exposition restera ouverte jusqu'à la fin du mois de janvier.",
            ],
        ),
    ],
    "es": [
        (
            "Los agricultores protestan por la sequía en Andalucía",
            [
                "Cientos de agricultores se concentraron este martes frente a la sede del gobierno regional en Sevilla para protestar por la falta de agua. La sequía de los últimos tres años ha reducido a la mitad la cosecha de aceitunas en muchas comarcas.",
                "Los manifestantes piden ayudas directas y nuevas obras para aprovechar mejor los recursos hídricos. El consejero de Agricultura recibió a una delegación de los sindicatos agrarios durante más de dos horas.",
                "Según los técnicos, los embalses se encuentran por debajo del veinte por ciento de su capacidad. Las organizaciones convocaron nuevas movilizaciones para el próximo mes.",
            ],
        ),
        (
            "Un nuevo tren conectará Madrid y Lisboa en cinco horas",
            [
                "Los gobiernos de España y Portugal firmaron ayer un acuerdo para poner en marcha un tren directo entre Madrid y Lisboa. El trayecto durará unas cinco horas, casi la mitad que el actual viaje en autobús.",
                "Las obras en la frontera comenzarán el año que viene y costarán cerca de mil millones de euros. Los empresarios de la región celebraron la noticia, que esperan atraiga más turistas e inversiones.",
                "Los ecologistas, en cambio, lamentan que el proyecto llegue con tanto retraso. Los primeros billetes podrían venderse antes de que termine la década.",
            ],
        ),
        (
            "La biblioteca municipal amplía su horario durante los exámenes",
            [
                "La biblioteca municipal de Zaragoza abrirá sus puertas hasta la medianoche durante el periodo de exámenes. La medida responde a la petición de cientos de estudiantes que no encuentran un lugar tranquilo para estudiar en casa.",
                "El ayuntamiento ha contratado a cuatro bibliotecarios más para atender las salas por la noche. Además, se instalarán nuevos enchufes para que los jóvenes puedan cargar sus ordenadores portátiles.",
                "La concejala de Cultura explicó que la iniciativa se repetirá en junio si tiene éxito. Los usuarios también podrán reservar mesas a través de una aplicación móvil.",
            ],
        ),
    ],
    "ar": [
        (
            "افتتاح مستشفى جديد في مدينة الإسكندرية",
            [
                "افتتح وزير الصحة صباح اليوم مستشفى جديدا في مدينة الإسكندرية يضم أكثر من ثلاثمئة سرير. ويقدم المستشفى خدمات الطوارئ وجراحة القلب وعلاج الأطفال بأسعار مناسبة.",
                "وقال الوزير إن الحكومة تخطط لبناء عشرة مستشفيات أخرى في المحافظات خلال السنوات المقبلة. ويعمل في المستشفى الجديد نحو ألف طبيب وممرض من خريجي الجامعات المصرية.",
                "وأعرب سكان المدينة عن سعادتهم بالمشروع الذي طال انتظاره. ومن المتوقع أن يستقبل المستشفى أول المرضى الأسبوع المقبل.",
            ],
        ),
        (
            "ارتفاع أسعار الخضروات في الأسواق المحلية",
            [
                "شهدت الأسواق المحلية في عمان ارتفاعا ملحوظا في أسعار الخضروات والفواكه خلال الأسبوع الماضي. وأرجع التجار هذا الارتفاع إلى موجة الحر التي أثرت على المحاصيل الزراعية في وادي الأردن.",
                "وطالب المواطنون الجهات الرسمية بمراقبة الأسعار وحماية المستهلك من الاستغلال. من جهتها أكدت وزارة الزراعة أن الأسعار ستعود إلى طبيعتها مع بداية الموسم الجديد.",
                "ويشكو المزارعون من ارتفاع تكاليف النقل والأسمدة. وتعد الطماطم والخيار من أكثر السلع التي ارتفع سعرها.",
            ],
        ),
        (
            "طلاب المدارس يشاركون في حملة لزراعة الأشجار",
            [
                "شارك آلاف الطلاب من مدارس العاصمة في حملة وطنية لزراعة الأشجار يوم السبت. وزرع المتطوعون أكثر من عشرين ألف شجرة في الحدائق العامة وعلى جوانب الطرق.",
                "وقالت منظمة الحملة إن الهدف هو تحسين جودة الهواء وتوفير الظل للمشاة في فصل الصيف. وتلقى المشاركون دروسا قصيرة عن أهمية حماية البيئة والمحافظة على المياه.",
                "وأعلنت البلدية أنها ستكرر الحملة في الربيع المقبل بمشاركة الجامعات. وعبر المعلمون عن فخرهم بحماس تلاميذهم واهتمامهم بالطبيعة.",
            ],
        ),
    ],
    "zh": [
        (
            "北京地铁新线路今日开通",
            [
                "北京地铁十七号线北段今天上午正式开通运营，全长约十五公里，共设七座车站。新线路连接了昌平区和朝阳区的多个大型居住区，预计每天可服务乘客二十万人次。",
                "市交通委员会表示，开通后早高峰的通勤时间将缩短二十分钟左右。不少市民一早就来到车站体验新线路，并在站台上拍照留念。",
                "地铁公司提醒乘客注意安全，有序排队上下车。按照计划，南段工程将在明年年底前完工。",
            ],
        ),
        (
            "南方多地遭遇强降雨 部分地区发布暴雨红色预警",
            [
                "受冷暖空气共同影响，广东、广西和福建等地近日出现持续强降雨天气。气象部门发布暴雨红色预警，提醒居民减少外出，远离河道和山区。",
                "部分城市的街道出现积水，一些航班和列车被迫延误或取消。当地政府已经转移安置受威胁群众三万多人，并组织救援队伍连夜排查险情。",
                "专家指出，今年汛期降雨量明显偏多，防汛形势依然严峻。预计未来三天降雨仍将持续，请公众密切关注天气变化。",
            ],
        ),
        (
            "青少年阅读调查：纸质书仍受欢迎",
            [
                "一项最新发布的全国青少年阅读调查显示，尽管电子设备十分普及，纸质书依然受到多数学生的喜爱。调查覆盖了全国二十个省份的一万多名中小学生。",
                "结果显示，超过六成的受访者每周至少阅读一本课外书，其中科普读物和历史故事最受欢迎。研究人员认为，家庭阅读氛围对孩子的阅读习惯影响很大。",
                "许多学校已经开设阅读课，并鼓励家长和孩子一起读书。专家建议，应当继续增加公共图书馆的数量，为青少年提供更好的阅读环境。",
            ],
        ),
    ],
}

# language -> [(form searched, which article by title start, form the article holds)]
# The searched form is absent from that article; both forms share a stem under the
# language's stemmer. Corpus pages (ru, pt, it, en) are named by the start of their title.
INFLECTIONS: dict[str, list[tuple[str, str, str]]] = {
    "de": [
        ("Radweg", "Stadtrat beschließt", "Radwegen"),
        ("Anwohnern", "Stadtrat beschließt", "Anwohner"),
        ("Kind", "Stadtrat beschließt", "Kinder"),
        ("Haus", "Hochwasser im Süden", "Häuser"),
        ("Brücke", "Hochwasser im Süden", "Brücken"),
        ("Helfern", "Hochwasser im Süden", "Helfer"),
        ("Studien", "Neue Studie", "Studie"),
        ("Schule", "Neue Studie", "Schulen"),
        ("Ergebnis", "Neue Studie", "Ergebnisse"),
    ],
    "fr": [
        ("syndicat", "Grève des transports", "syndicats"),
        ("conducteur", "Grève des transports", "conducteurs"),
        ("négociation", "Grève des transports", "négociations"),
        ("vigneron", "Les vendanges", "vignerons"),
        ("raisin", "Les vendanges", "raisins"),
        ("bouteille", "Les vendanges", "bouteilles"),
        ("peintre", "Une exposition", "peintres"),
        ("paysage", "Une exposition", "paysages"),
        ("visiteur", "Une exposition", "visiteurs"),
    ],
    "es": [
        ("agricultor", "Los agricultores", "agricultores"),
        ("embalse", "Los agricultores", "embalses"),
        ("sindicato", "Los agricultores", "sindicatos"),
        ("empresario", "Un nuevo tren", "empresarios"),
        ("turista", "Un nuevo tren", "turistas"),
        ("billete", "Un nuevo tren", "billetes"),
        ("estudiante", "La biblioteca municipal", "estudiantes"),
        ("bibliotecario", "La biblioteca municipal", "bibliotecarios"),
        ("usuario", "La biblioteca municipal", "usuarios"),
    ],
    "ar": [
        ("الطبيب", "افتتاح مستشفى", "طبيب"),
        ("المستشفيات", "افتتاح مستشفى", "مستشفيات"),
        ("وزيرا", "افتتاح مستشفى", "وزير"),
        ("المواطن", "ارتفاع أسعار", "المواطنون"),
        ("مزارع", "ارتفاع أسعار", "المزارعون"),
        ("زراعة", "ارتفاع أسعار", "الزراعة"),
        ("المتطوع", "طلاب المدارس", "المتطوعون"),
        ("حملات", "طلاب المدارس", "حملة"),
        ("المعلم", "طلاب المدارس", "المعلمون"),
    ],
    "ru": [
        ("продукт", "Диета Аткинса", "продуктов"),
        ("углевод", "Диета Аткинса", "углеводов"),
    ],
    "pt": [
        ("educativo", "A Fantástica Loja", "educativos"),
    ],
    "it": [
        ("occasione", "Black Friday per nostalgici", "occasioni"),
    ],
    "en": [
        ("voting", "Opinion | Republicans Are Following", "voted"),
        ("governors", "Opinion | Republicans Are Following", "governor"),
    ],
}


def page(lang: str, title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body><article><h1>{html.escape(title)}</h1>\n"
        f"{body}\n</article></body></html>\n"
    )


def write_pages(out: Path) -> list[Path]:
    """Write every article as OUT/LANG-N.html; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for lang, articles in ARTICLES.items():
        for n, (title, paragraphs) in enumerate(articles, 1):
            path = out / f"{lang}-{n}.html"
            path.write_text(page(lang, title, paragraphs), encoding="utf-8")
            paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    for path in write_pages(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
